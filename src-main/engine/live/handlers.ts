import type { AppContext } from '../../app-context'
import { NotFoundError } from '../../errors'
import type { HandlerMap } from '../../ipc/handler'
import type { liveCalls } from '../../ipc/contract/live'
import { appHandlers } from '../../services/app-handlers'
import { ModelStore, type ModelRecord } from '../../store/model-store'
import { LiveService } from './live-service'

// One live service per app context (a process has one), created on first use.
const services = new WeakMap<AppContext, LiveService>()

export function liveServiceOf(context: AppContext): LiveService {
  let service = services.get(context)
  if (!service) {
    const created = new LiveService({ emit: (name, payload) => context.emit(name, payload) })
    // The model belongs to the study: another study's page must not show its predictions.
    context.onEvent((name) => {
      if (name === 'study.changed') created.halt('the study changed')
    })
    services.set(context, created)
    service = created
  }
  return service
}

/** The model a live run uses when none is named: the active arousal model, else any active one. */
export function activeLiveModel(store: ModelStore): ModelRecord | null {
  const active = store.listModels().filter((model) => model.active)
  return active.find((model) => model.target === 'arousal') ?? active[0] ?? null
}

export const liveHandlers: HandlerMap<keyof typeof liveCalls> = {
  'live.start': async ({ source, modelId }, context) => {
    const store = new ModelStore(context.study().db)
    const model = modelId !== undefined ? store.getModel(modelId) : activeLiveModel(store)
    if (!model)
      throw new NotFoundError(
        'no model given and none is active: activate one in the model registry on the Train page',
        'modelId'
      )
    // The app picks its backend once, lazily, probing each in turn: loading a model during the probe fails.
    await appHandlers['app.backends']({}, context)
    return liveServiceOf(context).start(source, model)
  },
  'live.stop': (_args, context) => liveServiceOf(context).stop(),
  'live.status': (_args, context) => liveServiceOf(context).status()
}
