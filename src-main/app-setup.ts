import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { AppContext, type AppContextOptions } from './app-context'
import { createHandlers } from './ipc/handlers'
import { defaultStudyPath } from './paths'

declare const __APP_VERSION__: string | undefined

export const APP_VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.1.0'

/**
 * The composition root shared by the Electron entry and `emoheal serve`: one AppContext with the given
 * study (or the default one, created on first start), and every handler of the contract.
 */
export function createApp(options: Partial<AppContextOptions> & { transport: AppContextOptions['transport']; studyPath?: string }) {
  const context = new AppContext({
    defaultStudyPath: options.defaultStudyPath ?? defaultStudyPath(),
    transport: options.transport,
    sqliteBinding: options.sqliteBinding,
    version: APP_VERSION
  })
  const path = options.studyPath ?? context.options.defaultStudyPath
  const firstStart = !existsSync(path)
  if (firstStart) mkdirSync(dirname(path), { recursive: true })
  context.openStudy(path, firstStart, firstStart ? 'My first study' : undefined)
  return { context, handlers: createHandlers(), firstStart }
}
