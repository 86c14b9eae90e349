import { parentPort } from 'node:worker_threads'
import { serializeError } from '../../errors'
import { StudyStore } from '../../store/study-store'
import { useBackend } from '../runtime/backend'
import { executionPolicyFor } from '../runtime/execution-policy'
import { runFold } from '../evaluation/fold-runner'
import { runTraining } from './run-training'
import type { FoldReply } from '../evaluation/fold-messages'
import type { RunReply, WorkerRequest } from './worker-messages'

/**
 * Entry of a training worker thread (out/main/train-worker.js). It runs one task at a time: a whole run
 * for the app's run service, or one fold for a parallel evaluation; 'cancel' aborts the current one.
 */
const port = parentPort
if (port) {
  let controller: AbortController | null = null
  const post = (reply: FoldReply | RunReply) => port.postMessage(reply)
  port.on('message', (message: WorkerRequest) => {
    if (message.type === 'cancel') {
      controller?.abort()
      return
    }
    controller = new AbortController()
    const signal = controller.signal
    const work = async (): Promise<FoldReply | RunReply> => {
      if (message.type === 'fold') {
        const choice = await useBackend(message.backend)
        post({ type: 'backend', ...choice })
        const result = await runFold(message.task, {
          signal,
          policy: executionPolicyFor(choice.name),
          onProgress: (progress) => post({ type: 'progress', progress })
        })
        return { type: 'result', result }
      }
      const request = message.request
      const study = new StudyStore(request.studyPath, { nativeBinding: request.sqliteBinding })
      try {
        const result = await runTraining(study, request.train, {
          signal,
          onProgress: (progress) => post({ type: 'progress', progress })
        })
        return { type: 'result', result }
      } finally {
        study.close()
      }
    }
    work().then(
      (reply) => post(reply),
      (error: unknown) => post({ type: 'error', error: serializeError(error) })
    )
  })
}
