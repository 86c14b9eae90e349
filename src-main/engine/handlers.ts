import { NotFoundError } from '../errors'
import type { AppContext } from '../app-context'
import type { engineCalls, ReviewItemView } from '../ipc/contract/engine'
import type { HandlerMap } from '../ipc/handler'
import { appHandlers } from '../services/app-handlers'
import { ModelStore } from '../store/model-store'
import { RunService } from './run-service'
import { predictSession } from './session-inference'
import { exportTorchModel } from './torch'
import { importTorchIntoRegistry } from './torch-registry'

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
  'train.start': (request, context) => runServiceOf(context).start(request),
  'train.cancel': ({ runId }, context) => runServiceOf(context).cancel(runId),
  'runs.list': (_args, context) => models(context).listRuns(),
  'models.list': (_args, context) => models(context).listModels(),
  'models.activate': ({ id }, context) => models(context).activateModel(id),
  'predict.session': async ({ sessionId, modelId }, context) => {
    const store = models(context)
    const model =
      modelId !== undefined
        ? store.getModel(modelId)
        : store.listModels().find((candidate) => candidate.active)
    if (!model)
      throw new NotFoundError('no model given and none is active: activate one on the Train page', 'modelId')
    // The app picks its backend once, lazily, probing each in turn: predicting during the probe fails.
    await appHandlers['app.backends']({}, context)
    const result = await predictSession(context.study(), model.directory, sessionId, model.id)
    return { modelId: model.id, sessionId, windows: result.windows, skipped: result.skipped }
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
    const { model, result } = await importTorchIntoRegistry(context.study(), file, { preset, name })
    return { ...model, tensorsRead: result.tensorsRead, parameterCount: result.parameterCount }
  },
  'models.exportTorch': ({ id, file }, context) =>
    exportTorchModel(models(context).getModel(id).directory, file),
  'review.list': ({ runId, minConfidence, limit }, context) =>
    reviewOf(models(context), runId, minConfidence, limit)
}
