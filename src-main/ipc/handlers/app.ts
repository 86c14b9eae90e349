import type { HandlerMap } from '../handler'
import type { appCalls } from '../contract/app'
import type { AppServices } from '../../services/app-services'

export function appHandlers({ engine }: AppServices): HandlerMap<keyof typeof appCalls> {
  return {
    'app.info': async (_args, context) => ({
      version: context.options.version,
      transport: context.options.transport === 'electron' ? 'electron' : 'serve',
      defaultStudyPath: context.options.defaultStudyPath,
      backend: await engine.chosenSoFar()
    }),
    'app.backends': () => engine.backends()
  }
}
