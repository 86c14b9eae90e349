import { connect } from 'node:net'
import { WebSocket } from 'ws'

export interface RawResponse {
  /** 0 when the connection closed without a status line (the server died or dropped it). */
  status: number
  headers: Record<string, string>
  /** The body as sent, chunked framing included: enough to look for a string in it. */
  body: string
}

/**
 * One HTTP/1.1 request written byte for byte: fetch and http.request normalise or refuse the odd
 * targets these tests need to reach the server unchanged (backslashes, NUL, absolute forms).
 */
export function rawRequest(
  port: number,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET'
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let failure: Error | null = null
    socket.setTimeout(10_000, () => {
      failure = new Error(`no answer within 10 s to ${method} ${target.slice(0, 80)}`)
      socket.destroy()
    })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    // A reset arrives as an error and is followed by close, which reports what came back.
    socket.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') failure = error
    })
    socket.on('close', () => {
      if (failure) return reject(failure)
      const text = Buffer.concat(chunks).toString('latin1')
      const [head, ...rest] = text.split('\r\n\r\n')
      const [statusLine, ...headerLines] = head.split('\r\n')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
      const parsed: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        if (colon > 0) parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status, headers: parsed, body: rest.join('\r\n\r\n') })
    })
    const lines = [`${method} ${target} HTTP/1.1`]
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host'))
      lines.push(`Host: 127.0.0.1:${port}`)
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
    lines.push('Connection: close', '', '')
    socket.write(Buffer.from(lines.join('\r\n'), 'latin1'))
  })
}

export type Incoming = { kind: 'message'; data: unknown } | { kind: 'close'; code: number; reason: string }

export interface Reply {
  id: unknown
  outcome: { ok: boolean; value?: unknown; error?: { name: string; message: string; field?: string } }
}

/**
 * A WebSocket client that keeps every reply and the close in arrival order, so a test can ask "what
 * came back for this frame: a reply or a close?" without racing the events.
 */
export class SocketPeer {
  private readonly inbox: Incoming[] = []
  private waiting: ((item: Incoming) => void) | null = null
  private closedWith: Incoming | null = null

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as { event?: string }
      // Study events are broadcast to every socket; these tests look only at replies.
      if (parsed.event === undefined) this.push({ kind: 'message', data: parsed })
    })
    ws.on('close', (code, reason) => {
      this.closedWith = { kind: 'close', code, reason: reason.toString() }
      this.push(this.closedWith)
    })
    // The close that follows an error carries what the test checks.
    ws.on('error', () => undefined)
  }

  static open(
    port: number,
    query: string,
    origin: string,
    headers: Record<string, string> = {}
  ): Promise<SocketPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers: { origin, ...headers } })
      ws.once('open', () => resolve(new SocketPeer(ws)))
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`WebSocket refused with HTTP ${response.statusCode}`))
      )
      ws.once('error', reject)
    })
  }

  private push(item: Incoming): void {
    const waiting = this.waiting
    this.waiting = null
    if (waiting) waiting(item)
    else this.inbox.push(item)
  }

  next(timeoutMs = 5_000): Promise<Incoming> {
    const queued = this.inbox.shift()
    if (queued) return Promise.resolve(queued)
    if (this.closedWith) return Promise.resolve(this.closedWith)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null
        reject(new Error(`nothing came back within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting = (item) => {
        clearTimeout(timer)
        resolve(item)
      }
    })
  }

  async reply(timeoutMs = 5_000): Promise<Reply> {
    const item = await this.next(timeoutMs)
    if (item.kind === 'close')
      throw new Error(`socket closed (${item.code} ${item.reason}) instead of replying`)
    return item.data as Reply
  }

  send(data: string | Uint8Array, binary = false): void {
    this.ws.send(data, { binary })
  }

  call(message: unknown): Promise<Reply> {
    this.send(JSON.stringify(message))
    return this.reply()
  }

  close(): void {
    this.ws.close()
  }
}
