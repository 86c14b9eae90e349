import { ConflictError } from '../../errors'
import type { engineCalls } from '../contract/engine'
import type { HandlerMap } from '../handler'
import type { AppServices } from '../../services/app-services'
import type { StudyStore } from '../../store/study-store'
import { runEngineTask } from '../../engine/tasks/engine-tasks'
import { reviewOf } from '../../engine/registry/model-registry'
import { checkTrainingRequest } from '../../engine/runs/training-limits'
import { exportOnnx } from '../../engine/onnx/export-onnx'
import { exportTorchModel } from '../../engine/torch'

/** The Train page's calls: runs, the model registry, session prediction, PyTorch import and export. */
export function engineHandlers(services: AppServices): HandlerMap<keyof typeof engineCalls> {
  const { engine, models, runs } = services

  /** What a worker needs to open the study and the backend the app chose, which it uses rather than probing again. */
  const workerStudy = async (study: StudyStore, sqliteBinding: string | undefined) => ({
    studyPath: study.path,
    sqliteBinding,
    backend: await engine.workerPreference()
  })

  return {
    'train.start': (request) => {
      // Refused here, as one call's error, rather than as a run that fails in its worker.
      checkTrainingRequest(request)
      return runs.start(request)
    },
    'train.cancel': ({ runId }) => runs.cancel(runId),
    'runs.list': () => models.store().listRuns(),
    'models.list': () => models.store().listModels(),
    'models.activate': ({ id }) => models.store().activateModel(id),
    'predict.session': async ({ sessionId, modelId }, context) => {
      // The study this call began with: the predictions belong to it, even if another is opened meanwhile.
      const study = context.study()
      const store = models.store(study)
      const model = models.modelOrActive(
        store,
        modelId,
        (candidates) => candidates.listModels().find((candidate) => candidate.active) ?? null,
        'on the Train page'
      )
      study.getSession(sessionId)
      const prediction = await runEngineTask({
        task: 'predictSession',
        ...(await workerStudy(study, context.options.sqliteBinding)),
        directory: model.directory,
        sessionId
      })
      if (!study.db.open)
        throw new ConflictError('the study was closed while its session was predicted', 'sessionId')
      store.savePredictions(model.id, sessionId, prediction.target, prediction.predictions)
      return { modelId: model.id, sessionId, windows: prediction.windows, skipped: prediction.skipped }
    },
    'predictions.list': ({ sessionId, modelId }) =>
      models
        .store()
        .listPredictions(sessionId, modelId)
        .map(({ modelId: model, target, windowEndMs, probabilities }) => ({
          modelId: model,
          target,
          windowEndMs,
          probabilities
        })),
    'models.importTorch': async ({ file, preset, name }, context) => {
      const { model, tensorsRead, parameterCount } = await runEngineTask({
        task: 'importTorch',
        ...(await workerStudy(context.study(), context.options.sqliteBinding)),
        file,
        preset,
        name
      })
      return { ...model, tensorsRead, parameterCount }
    },
    'models.exportTorch': ({ id, file }) => exportTorchModel(models.store().getModel(id).directory, file),
    'models.exportOnnx': async ({ id, file, dtype }, context) => {
      const result = await exportOnnx([models.store().getModel(id).directory], file, {
        dtype,
        appVersion: context.options.version
      })
      return {
        file: result.file,
        bytes: result.bytes,
        dtype: result.dtype,
        preset: result.preset,
        nodes: result.nodes
      }
    },
    'review.list': ({ runId, minConfidence, limit }) => reviewOf(models.store(), runId, minConfidence, limit)
  }
}
