import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserUnavailableReason, startServe, tempDir, type ServeProcess } from '../e2e/harness'

const reason = browserUnavailableReason()?.includes('build') ? browserUnavailableReason() : null
if (reason) console.warn(`[serve security] skipped: ${reason}`)

function openSocket(url: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.close()
      resolve('open')
    })
    ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
    ws.on('error', () => resolve(-1))
  })
}

describe.skipIf(reason !== null)('emoheal serve security', () => {
  let serve: ServeProcess
  beforeAll(async () => {
    serve = await startServe(join(tempDir('emoheal-sec-'), 's.emoheal-study'))
  })
  afterAll(async () => serve?.stop())

  it('listens on loopback with a long random token in the URL', () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/)
  })

  it('refuses pages without the token or with a wrong one, and serves them with it', async () => {
    expect((await fetch(`${serve.origin}/`)).status).toBe(403)
    expect((await fetch(`${serve.origin}/?token=${serve.token.slice(0, -1)}x`)).status).toBe(403)
    const ok = await fetch(serve.url)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(ok.headers.get('set-cookie')).toContain('HttpOnly; SameSite=Strict')
  })

  it('refuses a request whose Host header names another site (DNS rebinding)', async () => {
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve) => {
      const url = new URL(serve.url)
      request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname + url.search,
          headers: { host: 'evil.example:80' }
        },
        (res) => resolve(res.statusCode ?? 0)
      ).end()
    })
    expect(status).toBe(421)
  })

  it('accepts the WebSocket only with the token and the server’s own Origin', async () => {
    const ws = `ws://127.0.0.1:${new URL(serve.url).port}/ws`
    expect(await openSocket(`${ws}?token=${serve.token}`, { origin: serve.origin })).toBe('open')
    expect(await openSocket(ws, { origin: serve.origin })).toBe(403)
    expect(await openSocket(`${ws}?token=wrong`, { origin: serve.origin })).toBe(403)
    expect(await openSocket(`${ws}?token=${serve.token}`, { origin: 'http://evil.example' })).toBe(403)
    expect(await openSocket(`${ws}?token=${serve.token}`, {})).toBe(403)
  })

  it('answers contract calls over the socket, and malformed ones with a field-named error', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(serve.url).port}/ws?token=${serve.token}`, {
      headers: { origin: serve.origin }
    })
    await new Promise((resolve) => ws.once('open', resolve))
    const ask = (message: unknown) =>
      new Promise<unknown>((resolve) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))))
        ws.send(JSON.stringify(message))
      })
    await expect(ask({ id: 1, name: 'participants.create', args: { code: 'P1' } })).resolves.toMatchObject({
      id: 1,
      outcome: { ok: true, value: { code: 'P1' } }
    })
    await expect(ask({ id: 2, name: 'participants.create', args: { code: 7 } })).resolves.toMatchObject({
      id: 2,
      outcome: { ok: false, error: { name: 'ValidationError', field: 'code' } }
    })
    ws.close()
  })

  it('will not bind beyond loopback unless --host is given explicitly', async () => {
    const { startServer } = await import('../../src-main/serve/server')
    const { AppContext } = await import('../../src-main/app-context')
    const context = new AppContext({ defaultStudyPath: '', transport: 'serve', version: 'test' })
    await expect(
      startServer(context, {} as never, {
        rendererDir: join(__dirname, '..', '..', 'out', 'renderer'),
        host: '0.0.0.0'
      })
    ).rejects.toThrow('serve binds to loopback unless --host is given explicitly')
  })
})
