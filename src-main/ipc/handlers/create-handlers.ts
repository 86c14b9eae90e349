import type { AppContext } from '../../app-context'
import { appHandlers } from './app'
import { studyHandlers } from './study'
import { annotationHandlers } from './annotations'
import { signalHandlers } from './signal'
import { labelHandlers } from './labels'
import { datasetHandlers } from './datasets'
import { engineHandlers } from './engine'
import { liveHandlers } from './live'
import { recordHandlers } from './recording'
import type { AppServices } from '../../services/app-services'
import type { AllHandlers } from '../dispatch'

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
