import type { HandlerMap } from '../ipc/handler'
import type { appCalls } from '../ipc/contract/app'
import type { AppServices } from './app-services'

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
