import type { HandlerMap } from '../ipc/handler'
import type { signalCalls } from '../ipc/contract/signals'
import type { SignalServices } from './signal-services'

export function signalHandlers(signals: SignalServices): HandlerMap<keyof typeof signalCalls> {
  return {
    'signals.view': (args) => signals.forOpenStudy().view.view(args),
    'signals.overlays': (args) => signals.forOpenStudy().overlays.overlays(args)
  }
}
