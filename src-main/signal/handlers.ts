import type { HandlerMap } from '../ipc/handler'
import type { signalCalls } from '../ipc/contract/signals'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
import { StreamCache } from './stream-cache'
import { SignalViewService } from './view-service'

// One view service per open study, so its decoded-stream cache lives as long as the study stays open.
const services = new WeakMap<StudyStore, SignalViewService>()

function viewServiceFor(study: StudyStore): SignalViewService {
  let service = services.get(study)
  if (!service) {
    service = new SignalViewService(study, new StreamCache(new SignalStore(study.db)))
    services.set(study, service)
  }
  return service
}

export const signalHandlers: HandlerMap<keyof typeof signalCalls> = {
  'signals.view': (args, context) => viewServiceFor(context.study()).view(args)
}
