import { parentPort } from 'node:worker_threads'
import { serializeError } from '../errors'
import type { TrainRequest } from '../ipc/contract/engine'
import { StudyStore } from '../store/study-store'
import { useBackend } from './backend'
import { runFold } from './evaluation/fold-runner'
import { runTraining } from './run-training'
import type { WorkerReply, WorkerRequest } from './training/worker-messages'

/** What main sends for a whole run: the worker opens the study itself and only reads from it. */
export interface WorkerRunRequest {
  studyPath: string
  sqliteBinding?: string
  train: TrainRequest
}

/**
 * Entry of a training worker thread (out/main/train-worker.js). It runs one task at a time: a whole run
 * for the app's run service, or one fold for a parallel evaluation; 'cancel' aborts the current one.
 */
const port = parentPort
if (port) {
  let controller: AbortController | null = null
  const post = (reply: WorkerReply) => port.postMessage(reply)
  port.on('message', (message: WorkerRequest) => {
    if (message.type === 'cancel') {
      controller?.abort()
      return
    }
    controller = new AbortController()
    const signal = controller.signal
    const work = async (): Promise<unknown> => {
      if (message.type === 'fold') {
        const choice = await useBackend(message.backend)
        post({ type: 'backend', ...choice })
        return runFold(message.task, {
          signal,
          onProgress: (progress) => post({ type: 'progress', progress })
        })
      }
      const request = message.request as WorkerRunRequest
      const study = new StudyStore(request.studyPath, { nativeBinding: request.sqliteBinding })
      try {
        return await runTraining(study, request.train, {
          signal,
          onProgress: (progress) => post({ type: 'progress', progress })
        })
      } finally {
        study.close()
      }
    }
    work().then(
      (result) => post({ type: 'result', result }),
      (error: unknown) => post({ type: 'error', error: serializeError(error) })
    )
  })
}
