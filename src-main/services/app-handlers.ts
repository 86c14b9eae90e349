import type { HandlerMap } from '../ipc/handler'
import type { appCalls } from '../ipc/contract/app'

export const appHandlers: HandlerMap<keyof typeof appCalls> = {
  'app.info': (_args, context) => ({
    version: context.options.version,
    transport: context.options.transport === 'electron' ? 'electron' : 'serve',
    defaultStudyPath: context.options.defaultStudyPath,
    backend: null
  })
}
