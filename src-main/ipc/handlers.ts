import type { AppContext } from '../app-context'
import { appHandlers } from '../services/app-handlers'
import { studyHandlers } from '../services/study-handlers'
import type { AllHandlers } from './dispatch'

/** Every handler of the contract, joined from the domains. A missing one is a type error here. */
export function createHandlers(): AllHandlers {
  return {
    ...appHandlers,
    ...studyHandlers
  }
}

export type { AppContext }
