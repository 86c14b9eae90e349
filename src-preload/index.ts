import { contextBridge, ipcRenderer } from 'electron'
import type { EmohealBridge } from './bridge'

// Channel names repeat src-main/ipc/electron-adapter.ts: a sandboxed preload cannot import main's modules.
const CALL_CHANNEL = 'emoheal:call'
const EVENT_CHANNEL = 'emoheal:event'

// Only these two functions cross into the page; ipcRenderer itself never does. Main validates every call.
const bridge: EmohealBridge = {
  call: (name, args) => ipcRenderer.invoke(CALL_CHANNEL, name, args),
  onEvent: (listener) => {
    const wrapped = (_event: unknown, name: string, payload: unknown): void => listener(name, payload)
    ipcRenderer.on(EVENT_CHANNEL, wrapped)
    return () => ipcRenderer.off(EVENT_CHANNEL, wrapped)
  }
}

contextBridge.exposeInMainWorld('emoheal', bridge)
