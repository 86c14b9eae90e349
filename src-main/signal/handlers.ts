import type { HandlerMap } from '../ipc/handler'
import type { signalCalls } from '../ipc/contract/signals'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
import { SignalOverlayService } from './overlay-service'
import { StreamCache } from './stream-cache'
import { SignalViewService } from './view-service'

interface StudyServices {
  view: SignalViewService
  overlays: SignalOverlayService
}

// One view and overlay service per open study, so their caches live as long as the study stays open.
const services = new WeakMap<StudyStore, StudyServices>()

function servicesFor(study: StudyStore): StudyServices {
  let service = services.get(study)
  if (!service) {
    const cache = new StreamCache(new SignalStore(study.db))
    service = { view: new SignalViewService(study, cache), overlays: new SignalOverlayService(study, cache) }
    services.set(study, service)
  }
  return service
}

export const signalHandlers: HandlerMap<keyof typeof signalCalls> = {
  'signals.view': (args, context) => servicesFor(context.study()).view.view(args),
  'signals.overlays': (args, context) => servicesFor(context.study()).overlays.overlays(args)
}
