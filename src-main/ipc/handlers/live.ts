import type { HandlerMap } from '../handler'
import type { liveCalls } from '../contract/live'
import type { AppServices } from '../../services/app-services'
import { activeLiveModel } from '../../engine/registry/model-registry'

export function liveHandlers(services: AppServices): HandlerMap<keyof typeof liveCalls> {
  const { engine, models, live } = services
  return {
    'live.start': async ({ source, modelId }) => {
      const model = models.modelOrActive(
        models.store(),
        modelId,
        activeLiveModel,
        'in the model registry on the Train page'
      )
      // A model loaded while the backends are probed fails: the engine is set up first.
      await engine.backends()
      return live.start(source, model)
    },
    'live.stop': () => live.stop(),
    'live.status': () => live.status()
  }
}
