import type { AppContext } from '../app-context'
import { liveServiceOf } from '../engine/live/handlers'
import { RecordingService } from '../recording/recording-service'
import { OverlayWorker } from '../signal/overlay-computer'
import { SessionFeatureCache } from '../signal/session-features'
import { SignalServices } from '../signal/signal-services'
import { appHandlers } from './app-handlers'

/** The long-lived services of one process, built once by its composition root and handed to the handlers. */
export interface AppServices {
  recording: RecordingService
  /** The viewer's views and overlays of the open study; the overlays are computed in a worker thread. */
  signals: SignalServices
  /** The label windows' physiological features: what the filters made of each session, kept between calls. */
  features: SessionFeatureCache
}

export function createServices(context: AppContext): AppServices {
  return {
    recording: new RecordingService({
      context,
      live: liveServiceOf(context),
      prepareEngine: async () => await appHandlers['app.backends']({}, context)
    }),
    signals: new SignalServices(context, new OverlayWorker()),
    features: new SessionFeatureCache()
  }
}
