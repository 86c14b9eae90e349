import { randomBytes } from 'node:crypto'
import { createReadStream, existsSync, realpathSync } from 'node:fs'
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { WebSocketServer } from 'ws'
import type { AppContext } from '../app-context'
import { ValidationError } from '../errors'
import type { AllHandlers } from '../ipc/dispatch'
import { HttpRequestError } from './errors'
import { SERVE_LIMITS } from './limits'
import {
  CONTENT_SECURITY_POLICY,
  cookieMayAuthorize,
  readCookie,
  sameSecret,
  tokenCookieName,
  tokenCookieValue
} from './security'
import { serveCalls } from './socket-calls'
import { contentTypeOf, resolveStaticFile } from './static-files'

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

/**
 * Only origin-form targets ("/path?query") are meant for this server: absolute and asterisk forms
 * are for proxies, and a target read against a base URL could otherwise name another authority.
 */
function parseTarget(target: string | undefined): URL {
  if (!target?.startsWith('/')) throw new HttpRequestError(400, 'the request target must be a path')
  try {
    return new URL(`http://serve.invalid${target}`)
  } catch {
    throw new HttpRequestError(400, 'the request target is not a valid path')
  }
}

/** Node reports a client that went away mid-answer this way; nothing is wrong on this side. */
function clientWentAway(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE'
}

/**
 * `emoheal serve`: the built renderer over HTTP plus a WebSocket that speaks the IPC contract. Every
 * request needs the per-start token (in the URL once, then a per-port cookie), the WebSocket also
 * needs a same-origin Origin, and the Host header must name this server, so neither another site in
 * the browser, a page on another local port, nor a DNS-rebinding page can reach the study. Whatever
 * a request carries, it gets an answer and the process keeps running.
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
  // Files are compared with the folder's real path, so a link inside that leads out is recognised.
  const rendererRoot = realpathSync(rendererDir)
  const token = options.token ?? randomBytes(24).toString('base64url')
  const shownHost = host.includes(':') ? `[${host}]` : host
  // Known once the port is: no request arrives before listen() has completed.
  let ownHosts: ReadonlySet<string> = new Set()
  let ownOrigins: ReadonlySet<string> = new Set()
  let cookieName = ''
  let cookieValue = ''

  const authorized = (request: IncomingMessage, url: URL): boolean => {
    // A token in the URL is proof by itself (the first visit, from wherever the link was opened).
    const fromUrl = url.searchParams.get('token')
    if (fromUrl) return sameSecret(fromUrl, token)
    return (
      cookieMayAuthorize(request.headers, ownOrigins) &&
      sameSecret(readCookie(request.headers.cookie, cookieName), cookieValue)
    )
  }

  const handleRequest = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = parseTarget(request.url)
    if (!ownHosts.has(request.headers.host ?? '')) throw new HttpRequestError(421, 'unknown host')
    if (!authorized(request, url)) throw new HttpRequestError(403, 'missing or wrong token')
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new HttpRequestError(405, 'method not allowed', { allow: 'GET, HEAD' })
    }
    const file = await resolveStaticFile(rendererRoot, url.pathname === '/' ? '/index.html' : url.pathname)
    response.writeHead(200, {
      'content-type': contentTypeOf(file),
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'set-cookie': `${cookieName}=${cookieValue}; Path=/; HttpOnly; SameSite=Strict`
    })
    if (request.method === 'HEAD') return void response.end()
    await pipeline(createReadStream(file), response)
  }

  const answerFailure = (request: IncomingMessage, response: ServerResponse, error: unknown): void => {
    if (!(error instanceof HttpRequestError) && !clientWentAway(error)) {
      console.error(`emoheal serve: ${request.method} ${request.url?.slice(0, 200)}: ${String(error)}`)
    }
    try {
      if (response.headersSent) return void response.destroy()
      const refused = error instanceof HttpRequestError ? error : new HttpRequestError(500, 'internal error')
      response.writeHead(refused.status, {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        ...refused.headers
      })
      response.end(refused.message)
    } catch {
      response.destroy()
    }
  }

  const server: Server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => answerFailure(request, response, error))
  })
  server.maxConnections = SERVE_LIMITS.maxConnections

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: SERVE_LIMITS.maxMessageBytes,
    perMessageDeflate: false,
    // Checked in serveCalls, which closes with a reason; ws would close with none.
    skipUTF8Validation: true
  })

  const refuseUpgrade = (socket: Duplex, error: unknown): void => {
    if (!(error instanceof HttpRequestError)) {
      console.error(`emoheal serve: WebSocket upgrade failed: ${String(error)}`)
    }
    const status = error instanceof HttpRequestError ? error.status : 500
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n\r\n`)
    socket.destroy()
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The HTTP server lets go of an upgraded socket, its error listener too: a reset before ws takes
    // it over would otherwise be an 'error' event nobody listens to, which ends the process.
    const dropOnError = (): void => void socket.destroy()
    socket.on('error', dropOnError)
    try {
      const url = parseTarget(request.url)
      const origin = request.headers.origin
      const allowed =
        url.pathname === '/ws' &&
        origin !== undefined &&
        ownOrigins.has(origin) &&
        ownHosts.has(request.headers.host ?? '') &&
        authorized(request, url)
      if (!allowed) throw new HttpRequestError(403, 'forbidden')
      if (sockets.clients.size >= SERVE_LIMITS.maxSockets) {
        throw new HttpRequestError(503, `more than ${SERVE_LIMITS.maxSockets} WebSockets are open`)
      }
      sockets.handleUpgrade(request, socket, head, (ws) => {
        socket.off('error', dropOnError)
        serveCalls(ws, context, handlers)
      })
    } catch (error) {
      refuseUpgrade(socket, error)
    }
  })

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  // Errors of the listening socket itself (EMFILE on accept under a connection flood) must not end
  // the process: the server keeps listening and takes connections again once descriptors are free.
  server.on('error', (error) => console.error(`emoheal serve: ${String(error)}`))

  const port = (server.address() as AddressInfo).port
  ownHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${shownHost}:${port}`])
  ownOrigins = new Set([...ownHosts].map((name) => `http://${name}`))
  cookieName = tokenCookieName(port)
  cookieValue = tokenCookieValue(token, port)
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
