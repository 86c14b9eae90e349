import { ModelStore } from './model-store'
import { RecordingStore } from './recording-store'
import type { Db } from './study-file'

/**
 * What a study file may hold from a process that ended without finishing (killed, crashed, power lost):
 * training runs still marked running and recordings still marked recording. Run on every open, by the app
 * and by the command line, so they are reported as what they are.
 */
export function recoverAbandonedWork(db: Db): { failedRuns: number; interruptedRecordings: number[] } {
  return {
    failedRuns: new ModelStore(db).failStaleRuns('the process that ran it ended before it finished'),
    interruptedRecordings: new RecordingStore(db).markInterrupted()
  }
}
