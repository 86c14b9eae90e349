import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { EmohealError, NotFoundError, type ErrorReply, type SerializedError } from '../../errors'
import type { ModelView } from '../../ipc/contract/engine'
import type { BackendPreference } from '../runtime/backend'
import { defaultWorkerPath } from '../../files/worker-path'
import type { SessionPrediction } from '../inference/session-inference'

/** What every task needs to open the study and the backend in its worker, as the training worker does. */
interface TaskStudy {
  studyPath: string
  sqliteBinding?: string
  backend: BackendPreference
}

/**
 * The app's engine work other than training, each run in a worker thread of its own: a weight file is read
 * (and refused) there, and a session's windows predicted there, so that neither a hostile file nor a long
 * session can hold up or exhaust the main process.
 */
export type EngineTask =
  | (TaskStudy & { task: 'importTorch'; file: string; preset: 'paper'; name?: string })
  | (TaskStudy & { task: 'predictSession'; directory: string; sessionId: number })

export interface EngineTaskResults {
  importTorch: { model: ModelView; tensorsRead: number; parameterCount: number }
  /** Computed without storing: the main process stores them in the study it still has open. */
  predictSession: SessionPrediction
}

/** The one message to an engine worker: its task. */
export interface EngineWorkerRequest {
  type: 'run'
  request: EngineTask
}

/** The engine worker's one reply: the task's result, or its error. */
export type EngineWorkerReply<N extends EngineTask['task'] = EngineTask['task']> =
  { type: 'result'; result: EngineTaskResults[N] } | ErrorReply

/** The built worker entry, beside the training worker that the same build writes (out/main). */
export function engineWorkerPath(): string {
  const path = join(dirname(defaultWorkerPath()), 'engine-worker.js')
  if (!existsSync(path))
    throw new NotFoundError(`no engine worker: ${path} does not exist; run "npm run build"`)
  return path
}

/** An error from the worker as the main process throws it: its name and field kept for the caller. */
function revived(serialized: SerializedError): EmohealError {
  const error = new EmohealError(serialized.message, serialized.field)
  error.name = serialized.name
  return error
}

/**
 * Runs one task in a fresh worker thread and ends the thread with it, so that whatever the task allocated
 * goes with the thread: 'run' in, 'result' or 'error' out.
 */
export function runEngineTask<T extends EngineTask>(
  task: T,
  workerPath: string = engineWorkerPath()
): Promise<EngineTaskResults[T['task']]> {
  const worker = new Worker(workerPath)
  const done = new Promise<EngineTaskResults[T['task']]>((resolve, reject) => {
    worker.on('message', (reply: EngineWorkerReply<T['task']>) => {
      if (reply.type === 'result') resolve(reply.result)
      else if (reply.type === 'error') reject(revived(reply.error))
    })
    worker.once('error', reject)
    worker.once('exit', (code) =>
      reject(
        new EmohealError(`the engine worker stopped before it finished ${task.task} (exit code ${code})`)
      )
    )
  })
  worker.postMessage({ type: 'run', request: task } satisfies EngineWorkerRequest)
  return done.finally(() => worker.terminate())
}
