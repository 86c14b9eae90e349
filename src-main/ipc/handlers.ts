import type { AppContext } from '../app-context'
import { appHandlers } from '../services/app-handlers'
import { studyHandlers } from '../services/study-handlers'
import { annotationHandlers } from '../services/annotation-handlers'
import { signalHandlers } from '../signal/handlers'
import { labelHandlers } from '../labels/handlers'
import { datasetHandlers } from '../datasets/handlers'
import { engineHandlers } from '../engine/handlers'
import { liveHandlers } from '../engine/live/handlers'
import { recordHandlers } from '../recording/handlers'
import type { AppServices } from '../services/app-services'
import type { AllHandlers } from './dispatch'

/** Every handler of the contract, joined from the domains. A missing one is a type error here. */
export function createHandlers(services: AppServices): AllHandlers {
  return {
    ...appHandlers(services),
    ...studyHandlers,
    ...signalHandlers(services.signals),
    ...annotationHandlers,
    ...labelHandlers(services.features),
    ...datasetHandlers,
    ...engineHandlers(services),
    ...liveHandlers(services),
    ...recordHandlers(services.recording)
  }
}

export type { AppContext }
