import type { AppContext } from '../app-context'
import { liveServiceOf } from '../engine/live/handlers'
import { RecordingService } from '../recording/recording-service'
import { appHandlers } from './app-handlers'

/** The long-lived services of one process, built once by its composition root and handed to the handlers. */
export interface AppServices {
  recording: RecordingService
}

export function createServices(context: AppContext): AppServices {
  return {
    recording: new RecordingService({
      context,
      live: liveServiceOf(context),
      prepareEngine: async () => await appHandlers['app.backends']({}, context)
    })
  }
}
