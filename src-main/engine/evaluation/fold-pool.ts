import { Worker } from 'node:worker_threads'
import { CancelledError, EmohealError } from '../../errors'
import { configureThreadPools, threadsPerJob, type BackendPreference } from '../runtime/backend'
import type { CancelMessage, FoldMessage, FoldReply } from './fold-messages'
import type { FoldHooks, FoldResult, FoldTask } from './fold-runner'

export interface PoolOptions extends FoldHooks {
  jobs: number
  workerPath: string
  backend: BackendPreference
  onBackend?: (choice: { name: string; why: string }) => void
}

/**
 * Runs folds in `jobs` worker threads, each taking the next fold when it finishes one. Native TensorFlow's
 * thread pools are sized first so that the jobs together use the cores once (wasm is one thread anyway).
 */
export async function runFoldsInWorkers(tasks: FoldTask[], options: PoolOptions): Promise<FoldResult[]> {
  const jobs = Math.max(1, Math.min(options.jobs, tasks.length))
  configureThreadPools(threadsPerJob(jobs))
  const results: FoldResult[] = new Array(tasks.length)
  let next = 0
  const workers: Worker[] = []
  const onAbort = () =>
    workers.forEach((worker) => worker.postMessage({ type: 'cancel' } satisfies CancelMessage))
  options.signal?.addEventListener('abort', onAbort)
  const runWorker = async (): Promise<void> => {
    const worker = new Worker(options.workerPath)
    workers.push(worker)
    try {
      while (next < tasks.length) {
        if (options.signal?.aborted) throw new CancelledError('training was cancelled')
        const task = tasks[next++]
        results[task.index] = await new Promise<FoldResult>((resolve, reject) => {
          const onMessage = (reply: FoldReply) => {
            if (reply.type === 'progress') options.onProgress?.(reply.progress)
            else if (reply.type === 'backend') options.onBackend?.({ name: reply.name, why: reply.why })
            else {
              worker.off('message', onMessage)
              worker.off('error', reject)
              worker.off('exit', onExit)
              if (reply.type === 'result') resolve(reply.result)
              else
                reject(
                  reply.error.name === 'CancelledError'
                    ? new CancelledError(reply.error.message)
                    : new EmohealError(reply.error.message, reply.error.field)
                )
            }
          }
          const onExit = (code: number) =>
            reject(new EmohealError(`training worker stopped (exit code ${code})`))
          worker.on('message', onMessage)
          worker.on('error', reject)
          worker.once('exit', onExit)
          worker.postMessage({ type: 'fold', task, backend: options.backend } satisfies FoldMessage)
        })
      }
    } finally {
      await worker.terminate()
    }
  }
  try {
    // The first failure stops every worker, so that no fold keeps training for a run that has failed.
    await Promise.all(
      Array.from({ length: jobs }, () =>
        runWorker().catch(async (error: unknown) => {
          next = tasks.length
          await Promise.all(workers.map((worker) => worker.terminate()))
          throw error
        })
      )
    )
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  return results
}
