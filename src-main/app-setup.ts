import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { AppContext, type AppContextOptions } from './app-context'
import { createDemoStudy } from './datasets/demo-study'
import { createHandlers } from './ipc/handlers/create-handlers'
import { createServices } from './services/app-services'
import { defaultStudyPath } from './paths'

declare const __APP_VERSION__: string | undefined

export const APP_VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.1.0'

/**
 * The composition root shared by the Electron entry and `emoheal serve`: one AppContext with the given
 * study (or the default one, created on first start), and every handler of the contract.
 */
export function createApp(
  options: Partial<AppContextOptions> & { transport: AppContextOptions['transport']; studyPath?: string }
) {
  const context = new AppContext({
    defaultStudyPath: options.defaultStudyPath ?? defaultStudyPath(),
    transport: options.transport,
    sqliteBinding: options.sqliteBinding,
    version: APP_VERSION
  })
  const path = options.studyPath ?? context.options.defaultStudyPath
  const firstStart = !existsSync(path)
  if (firstStart) mkdirSync(dirname(path), { recursive: true })
  // A new user's first start opens a small synthetic demo study, so there is something to look at at once;
  // a study file named explicitly that does not exist yet starts empty.
  if (firstStart && options.studyPath === undefined)
    createDemoStudy(path, { nativeBinding: options.sqliteBinding })
  context.openStudy(path, firstStart && options.studyPath !== undefined, 'My first study')
  const services = createServices(context)
  return { context, services, handlers: createHandlers(services), firstStart }
}
