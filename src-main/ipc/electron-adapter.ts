import { ipcMain, type WebContents } from 'electron'
import type { AppContext } from '../app-context'
import { dispatch, type AllHandlers } from './dispatch'

export const CALL_CHANNEL = 'emoheal:call'
export const EVENT_CHANNEL = 'emoheal:event'

/** Electron's transport: one invoke channel into the shared dispatcher, one event channel out. */
export function attachElectronIpc(
  context: AppContext,
  handlers: AllHandlers,
  targets: () => WebContents[]
): () => void {
  ipcMain.handle(CALL_CHANNEL, (_event, name: unknown, args: unknown) =>
    dispatch(handlers, context, name, args)
  )
  const unsubscribe = context.onEvent((event, payload) => {
    for (const target of targets()) if (!target.isDestroyed()) target.send(EVENT_CHANNEL, event, payload)
  })
  return () => {
    ipcMain.removeHandler(CALL_CHANNEL)
    unsubscribe()
  }
}
