import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { AppContext } from '../app-context'
import { ValidationError } from '../errors'
import { dispatch, type AllHandlers } from '../ipc/dispatch'
import { CONTENT_SECURITY_POLICY } from './security'

export interface ServeOptions {
  /** Built renderer folder (out/renderer). */
  rendererDir: string
  host?: string
  port?: number
  /** Binding beyond loopback exposes the study to the network: it must be asked for explicitly. */
  allowNonLoopback?: boolean
  token?: string
}

export interface RunningServer {
  url: string
  token: string
  host: string
  port: number
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2'
}

function sameSecret(a: string | undefined, b: string): boolean {
  if (!a) return false
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function cookieToken(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie ?? ''
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === 'emoheal_token') return rest.join('=')
  }
  return undefined
}

/**
 * `emoheal serve`: the built renderer over HTTP plus a WebSocket that speaks the IPC contract. Every
 * request needs the per-start token (in the URL once, then a same-site cookie), the WebSocket also
 * needs a same-origin Origin, and the Host header must name this server, so neither another site in
 * the browser nor a DNS-rebinding page can reach the study.
 */
export async function startServer(
  context: AppContext,
  handlers: AllHandlers,
  options: ServeOptions
): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host) && !options.allowNonLoopback) {
    throw new ValidationError(
      `refusing to listen on ${host}: serve binds to loopback unless --host is given explicitly`,
      'host'
    )
  }
  const rendererDir = resolve(options.rendererDir)
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new ValidationError(`${rendererDir}: no built renderer there (run npm run build)`, 'rendererDir')
  }
  const token = options.token ?? randomBytes(24).toString('base64url')
  let port = 0

  const allowedHosts = (): Set<string> =>
    new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`])

  const refuse = (response: ServerResponse, status: number, message: string): void => {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' })
    response.end(message)
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://placeholder')
    if (!allowedHosts().has(request.headers.host ?? '')) return refuse(response, 421, 'unknown host')
    const given = url.searchParams.get('token') ?? cookieToken(request)
    if (!sameSecret(given ?? undefined, token)) return refuse(response, 403, 'missing or wrong token')
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refuse(response, 405, 'method not allowed')
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)
    const file = normalize(join(rendererDir, relative))
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile())
      return refuse(response, 404, 'not found')
    response.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'set-cookie': `emoheal_token=${token}; Path=/; HttpOnly; SameSite=Strict`
    })
    if (request.method === 'HEAD') return response.end()
    createReadStream(file).pipe(response)
  })

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://placeholder')
    const origin = request.headers.origin
    const originOk = origin !== undefined && allowedHosts().has(origin.replace(/^http:\/\//, ''))
    const hostOk = allowedHosts().has(request.headers.host ?? '')
    const tokenOk = sameSecret(url.searchParams.get('token') ?? cookieToken(request), token)
    if (url.pathname !== '/ws' || !originOk || !hostOk || !tokenOk) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => attach(ws))
  })

  const attach = (ws: WebSocket): void => {
    const unsubscribe = context.onEvent((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }))
    })
    ws.on('close', unsubscribe)
    ws.on('message', async (raw) => {
      let message: { id?: unknown; name?: unknown; args?: unknown }
      try {
        message = JSON.parse(raw.toString()) as typeof message
      } catch {
        ws.send(
          JSON.stringify({
            id: null,
            outcome: { ok: false, error: { name: 'ValidationError', message: 'message is not JSON' } }
          })
        )
        return
      }
      const outcome = await dispatch(handlers, context, message.name, message.args)
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: message.id ?? null, outcome }))
    })
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolvePromise())
  })
  port = (server.address() as AddressInfo).port
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    token,
    host,
    port,
    close: () =>
      new Promise<void>((done) => {
        for (const client of sockets.clients) client.terminate()
        sockets.close()
        server.close(() => done())
        server.closeAllConnections()
      })
  }
}
