import type { HandlerMap } from '../handler'
import type { signalCalls } from '../contract/signals'
import type { SignalServices } from '../../signal/signal-services'

export function signalHandlers(signals: SignalServices): HandlerMap<keyof typeof signalCalls> {
  return {
    'signals.view': (args) => signals.forOpenStudy().view.view(args),
    'signals.overlays': (args) => signals.forOpenStudy().overlays.overlays(args)
  }
}
