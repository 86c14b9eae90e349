import { parentPort } from 'node:worker_threads'
import { serializeError } from '../../errors'
import { StudyStore } from '../../store/study-store'
import { useBackend } from '../runtime/backend'
import type { EngineTask, EngineTaskResults, EngineWorkerReply, EngineWorkerRequest } from './engine-tasks'
import { predictSession } from '../inference/session-inference'
import { importTorchIntoRegistry } from '../torch/torch-registry'

async function run(task: EngineTask): Promise<EngineTaskResults[EngineTask['task']]> {
  await useBackend(task.backend)
  const study = new StudyStore(task.studyPath, { nativeBinding: task.sqliteBinding })
  try {
    if (task.task === 'importTorch') {
      // The registry row is written here, after the model directory is complete, as the CLI does it.
      const { model, result } = await importTorchIntoRegistry(study, task.file, {
        preset: task.preset,
        name: task.name
      })
      return { model, tensorsRead: result.tensorsRead, parameterCount: result.parameterCount }
    }
    return await predictSession(study, task.directory, task.sessionId, null)
  } finally {
    study.close()
  }
}

/**
 * Entry of the engine worker thread (out/main/engine-worker.js): one task per thread, started by
 * runEngineTask, which ends the thread when the task replies.
 */
const port = parentPort
if (port) {
  const post = (reply: EngineWorkerReply) => port.postMessage(reply)
  port.on('message', (message: EngineWorkerRequest) => {
    if (message.type !== 'run') return
    run(message.request).then(
      (result) => post({ type: 'result', result }),
      (error: unknown) => post({ type: 'error', error: serializeError(error) })
    )
  })
}
