import type { CallOutcome } from '../../../src-main/ipc/contract'

/** How the renderer reaches main: Electron's preload bridge, or the serve mode's WebSocket. */
export interface Transport {
  kind: 'electron' | 'serve'
  call(name: string, args: unknown): Promise<CallOutcome<unknown>>
  onEvent(listener: (name: string, payload: unknown) => void): () => void
}

function electronTransport(): Transport | null {
  const bridge = window.emoheal
  return bridge ? { kind: 'electron', call: bridge.call, onEvent: bridge.onEvent } : null
}

function socketTransport(): Transport {
  const token = new URLSearchParams(window.location.search).get('token') ?? ''
  const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws?token=${encodeURIComponent(token)}`
  const pending = new Map<number, (outcome: CallOutcome<unknown>) => void>()
  const listeners = new Set<(name: string, payload: unknown) => void>()
  let nextId = 1
  let socket: WebSocket | null = null
  let opening: Promise<WebSocket> | null = null

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket)
    if (opening) return opening
    opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.onopen = () => {
        socket = ws
        opening = null
        resolve(ws)
      }
      ws.onerror = () => {
        opening = null
        reject(new Error('cannot reach the workstation server (is emoheal serve still running?)'))
      }
      ws.onclose = () => {
        socket = null
        for (const [id, settle] of pending) {
          settle({
            ok: false,
            error: { name: 'ConnectionError', message: 'connection to the workstation server was lost' }
          })
          pending.delete(id)
        }
      }
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as {
          id?: number
          outcome?: CallOutcome<unknown>
          event?: string
          payload?: unknown
        }
        if (data.event) for (const listener of listeners) listener(data.event, data.payload)
        else if (data.id !== undefined && data.outcome) {
          pending.get(data.id)?.(data.outcome)
          pending.delete(data.id)
        }
      }
    })
    return opening
  }

  return {
    kind: 'serve',
    async call(name, args) {
      const ws = await open()
      const id = nextId++
      return new Promise((resolve) => {
        pending.set(id, resolve)
        ws.send(JSON.stringify({ id, name, args }))
      })
    },
    onEvent(listener) {
      listeners.add(listener)
      void open()
      return () => listeners.delete(listener)
    }
  }
}

export function pickTransport(): Transport {
  return electronTransport() ?? socketTransport()
}
