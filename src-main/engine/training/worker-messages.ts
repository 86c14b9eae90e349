import type { SerializedError } from '../../errors'
import type { BackendPreference } from '../backend'
import type { FoldProgress, FoldResult, FoldTask } from '../evaluation/fold-runner'

/** Messages to a training worker thread. */
export type WorkerRequest =
  | { type: 'fold'; task: FoldTask; backend: BackendPreference }
  | { type: 'run'; request: unknown }
  | { type: 'cancel' }

/** Messages from a training worker thread. */
export type WorkerReply =
  | { type: 'progress'; progress: FoldProgress | unknown }
  | { type: 'backend'; name: string; why: string }
  | { type: 'result'; result: FoldResult | unknown }
  | { type: 'error'; error: SerializedError }
