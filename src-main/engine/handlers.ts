import { ConflictError, NotFoundError } from '../errors'
import type { AppContext } from '../app-context'
import type { engineCalls, ReviewItemView } from '../ipc/contract/engine'
import type { HandlerMap } from '../ipc/handler'
import { appHandlers } from '../services/app-handlers'
import { ModelStore } from '../store/model-store'
import type { StudyStore } from '../store/study-store'
import { backendPreferences } from './backend'
import { runEngineTask } from './engine-tasks'
import { RunService } from './run-service'
import { checkTrainingRequest } from './training-limits'
import { exportOnnx } from './onnx/export-onnx'
import { exportTorchModel } from './torch'

// One run service per app context (a process has one), created on first use.
const services = new WeakMap<AppContext, RunService>()

export function runServiceOf(context: AppContext): RunService {
  let service = services.get(context)
  if (!service) {
    service = new RunService({
      study: () => context.study(),
      emit: (progress) => context.emit('train.progress', progress),
      nativeBinding: context.options.sqliteBinding
    })
    services.set(context, service)
  }
  return service
}

const models = (context: AppContext) => new ModelStore(context.study().db)

/**
 * What a worker needs to open the study and the backend the app chose. The app picks its backend once,
 * lazily, probing each in turn; the worker then uses the same one rather than probing again.
 */
async function workerStudy(context: AppContext, study: StudyStore) {
  const { chosen } = await appHandlers['app.backends']({}, context)
  const backend = backendPreferences.find((name) => name === chosen.name) ?? 'auto'
  return { studyPath: study.path, nativeBinding: context.options.sqliteBinding, backend }
}

/** Out-of-fold disagreements of a run (the latest finished one by default), most confident first. */
export function reviewOf(
  store: ModelStore,
  runId: number | undefined,
  minConfidence: number,
  limit: number
): ReviewItemView[] {
  const run =
    runId !== undefined
      ? store.getRun(runId)
      : store.listRuns().find((candidate) => candidate.status === 'done')
  if (!run) throw new NotFoundError('no finished training run to review yet', 'runId')
  const items = (run.results?.review ?? []) as ReviewItemView[]
  return items.filter((item) => item.confidence >= minConfidence).slice(0, limit)
}

export const engineHandlers: HandlerMap<keyof typeof engineCalls> = {
  'train.start': (request, context) => {
    // Refused here, as one call's error, rather than as a run that fails in its worker.
    checkTrainingRequest(request)
    return runServiceOf(context).start(request)
  },
  'train.cancel': ({ runId }, context) => runServiceOf(context).cancel(runId),
  'runs.list': (_args, context) => models(context).listRuns(),
  'models.list': (_args, context) => models(context).listModels(),
  'models.activate': ({ id }, context) => models(context).activateModel(id),
  'predict.session': async ({ sessionId, modelId }, context) => {
    // The study this call began with: the predictions belong to it, even if another is opened meanwhile.
    const study = context.study()
    const store = new ModelStore(study.db)
    const model =
      modelId !== undefined
        ? store.getModel(modelId)
        : store.listModels().find((candidate) => candidate.active)
    if (!model)
      throw new NotFoundError('no model given and none is active: activate one on the Train page', 'modelId')
    study.getSession(sessionId)
    const prediction = await runEngineTask({
      task: 'predictSession',
      ...(await workerStudy(context, study)),
      directory: model.directory,
      sessionId
    })
    if (!study.db.open)
      throw new ConflictError('the study was closed while its session was predicted', 'sessionId')
    store.savePredictions(model.id, sessionId, prediction.target, prediction.predictions)
    return { modelId: model.id, sessionId, windows: prediction.windows, skipped: prediction.skipped }
  },
  'predictions.list': ({ sessionId, modelId }, context) =>
    models(context)
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
      ...(await workerStudy(context, context.study())),
      file,
      preset,
      name
    })
    return { ...model, tensorsRead, parameterCount }
  },
  'models.exportTorch': ({ id, file }, context) =>
    exportTorchModel(models(context).getModel(id).directory, file),
  'models.exportOnnx': async ({ id, file, dtype }, context) => {
    const result = await exportOnnx([models(context).getModel(id).directory], file, {
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
  'review.list': ({ runId, minConfidence, limit }, context) =>
    reviewOf(models(context), runId, minConfidence, limit)
}
