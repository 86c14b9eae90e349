import type { CallOutcome } from '../src-main/ipc/contract/define'

/** What the preload exposes as window.emoheal. Calls are typed by the renderer's client (src-renderer/src/api). */
export interface EmohealBridge {
  call(name: string, args: unknown): Promise<CallOutcome<unknown>>
  onEvent(listener: (name: string, payload: unknown) => void): () => void
}

declare global {
  interface Window {
    emoheal?: EmohealBridge
  }
}
