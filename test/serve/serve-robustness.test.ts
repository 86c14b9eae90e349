import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import type { AllHandlers } from '../../src-main/ipc/dispatch'
import { SERVE_LIMITS } from '../../src-main/serve/limits'
import { startServer, type RunningServer } from '../../src-main/serve/server'
import { cliPath, repoRoot, startServe, tempDir, type ServeProcess } from '../e2e/harness'
import { rawRequest, SocketPeer, type Reply } from './serve-clients'

const CANARY = 'canary: this file lies outside the renderer directory'

const cliMissing = !existsSync(cliPath) || !existsSync(join(repoRoot, 'out', 'renderer', 'index.html'))
if (cliMissing)
  console.warn(`[serve robustness] CLI cases skipped: build ${cliPath} first (npx electron-vite build)`)

/** What the server must do with one WebSocket frame: answer it as a call, or close with this code. */
function expectedFor(bytes: Uint8Array, binary: boolean): 'reply' | 1003 | 1007 {
  if (binary) return 1003
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return 1007
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? 'reply' : 1007
}

describe.skipIf(cliMissing)('emoheal serve survives whatever a request sends', () => {
  let serve: ServeProcess
  let port: number
  let origin: string
  const withToken = (target: string): string =>
    `${target}${target.includes('?') ? '&' : '?'}token=${serve.token}`

  /** The process is alive and a normal authenticated call still gets its answer. */
  const expectAlive = async (): Promise<void> => {
    expect(serve.process.exitCode).toBeNull()
    expect(serve.process.signalCode).toBeNull()
    const peer = await SocketPeer.open(port, `?token=${serve.token}`, origin)
    await expect(peer.call({ id: 'alive', name: 'app.info' })).resolves.toMatchObject({
      id: 'alive',
      outcome: { ok: true, value: { transport: 'serve' } }
    })
    peer.close()
  }

  beforeAll(async () => {
    // A copy of the renderer with a secret beside it, a sibling folder whose name extends the
    // renderer's, and a link inside that points at the secret: the three ways out of the folder.
    const folder = tempDir('emoheal-robust-')
    const renderer = join(folder, 'renderer')
    cpSync(join(repoRoot, 'out', 'renderer'), renderer, { recursive: true })
    writeFileSync(join(folder, 'secret.txt'), CANARY)
    mkdirSync(join(folder, 'renderer-private'))
    writeFileSync(join(folder, 'renderer-private', 'secret.txt'), CANARY)
    symlinkSync(join(folder, 'secret.txt'), join(renderer, 'escape.txt'))
    serve = await startServe(join(folder, 's.emoheal-study'), ['--renderer-dir', renderer])
    port = Number(new URL(serve.url).port)
    origin = serve.origin
  })
  afterAll(async () => serve?.stop())

  it('answers malformed percent-encodings and unparsable targets with 400, other methods with 405', async () => {
    for (const target of [
      '/%zz',
      '/%',
      '/%ff%fe',
      '/%c0%ae',
      '/assets/%e0%80%af',
      '/%zz/index.html',
      '/%d8%00'
    ]) {
      const response = await rawRequest(port, withToken(target))
      expect({ target, status: response.status }).toEqual({ target, status: 400 })
    }
    // Absolute and asterisk forms are for proxies; "http://[" is not even a URL.
    for (const target of ['http://[', `http://127.0.0.1:${port}/?token=${serve.token}`, '*']) {
      expect({ target, status: (await rawRequest(port, target)).status }).toEqual({ target, status: 400 })
    }
    // Other methods are refused before the path is even read.
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      expect((await rawRequest(port, withToken('/%zz'), {}, method)).status).toBe(405)
    }
    await expectAlive()
  })

  it('serves the renderer and nothing outside it, whatever the path', async () => {
    const index = await rawRequest(port, withToken('/'))
    expect(index.status).toBe(200)
    const asset = readdirSync(join(repoRoot, 'out', 'renderer', 'assets'))[0]
    expect((await rawRequest(port, withToken(`/assets/${asset}`))).status).toBe(200)
    const escapes = [
      '/..%2fsecret.txt',
      '/..%2f..%2fetc/passwd',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..\\secret.txt',
      '/..%5csecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/../renderer-private/secret.txt',
      '/..%2frenderer-private%2fsecret.txt',
      '/escape.txt',
      '/assets/../escape.txt',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/etc/passwd',
      '/%00',
      '/index.html%00',
      '/index.html%00.js',
      '/\u0000',
      '/C:%5cWindows%5cwin.ini',
      '/assets',
      '/assets/',
      `/${'a'.repeat(4000)}`,
      `/${'a/'.repeat(2000)}index.html`
    ]
    for (const target of escapes) {
      const response = await rawRequest(port, withToken(target))
      expect({ target: target.slice(0, 60), ok: [400, 404].includes(response.status) }).toEqual({
        target: target.slice(0, 60),
        ok: true
      })
      expect(response.body).not.toContain('canary')
      expect(response.body).not.toContain('root:')
    }
    await expectAlive()
  })

  it('closes the socket with a reason on frames that are not JSON objects', async () => {
    const frames: [string | Uint8Array, boolean, number][] = [
      ['null', false, 1007],
      ['42', false, 1007],
      ['"a string"', false, 1007],
      ['[]', false, 1007],
      ['[{"id":1,"name":"app.info"}]', false, 1007],
      ['true', false, 1007],
      ['{', false, 1007],
      ['', false, 1007],
      [new Uint8Array([0x7b, 0x7d, 0xff, 0xfe]), false, 1007],
      [new Uint8Array([0x7b, 0x7d]), true, 1003],
      [`{"id":1,"name":"app.info","args":${'['.repeat(5000)}${']'.repeat(5000)}}`, false, 1007]
    ]
    for (const [data, binary, code] of frames) {
      const peer = await SocketPeer.open(port, `?token=${serve.token}`, origin)
      peer.send(data, binary)
      const answer = await peer.next()
      expect(answer).toMatchObject({ kind: 'close', code })
      expect(answer.kind === 'close' && answer.reason.length > 0).toBe(true)
    }
    await expectAlive()
  })

  it('closes the socket with 1009 on a message over the size limit', async () => {
    const peer = await SocketPeer.open(port, `?token=${serve.token}`, origin)
    const name = 'x'.repeat(SERVE_LIMITS.maxMessageBytes + 1)
    peer.send(JSON.stringify({ id: 1, name }))
    await expect(peer.next()).resolves.toMatchObject({ kind: 'close', code: 1009 })
    await expectAlive()
  })

  it('answers JSON objects that are not calls as failed calls and keeps the socket open', async () => {
    const peer = await SocketPeer.open(port, `?token=${serve.token}`, origin)
    const cases: [unknown, Partial<Reply>][] = [
      [
        {},
        {
          id: null,
          outcome: { ok: false, error: expect.objectContaining({ name: 'ValidationError', field: 'name' }) }
        }
      ],
      [
        { id: 1, name: 'no.such.call' },
        {
          id: 1,
          outcome: {
            ok: false,
            error: expect.objectContaining({
              name: 'ValidationError',
              field: 'name',
              message: 'unknown call "no.such.call"'
            })
          }
        }
      ],
      [
        { id: 2, name: '__proto__' },
        {
          id: 2,
          outcome: { ok: false, error: expect.objectContaining({ name: 'ValidationError', field: 'name' }) }
        }
      ],
      [
        { id: 3, name: 'constructor' },
        {
          id: 3,
          outcome: { ok: false, error: expect.objectContaining({ name: 'ValidationError', field: 'name' }) }
        }
      ],
      [
        { id: 4, name: { toString: 1 } },
        {
          id: 4,
          outcome: { ok: false, error: expect.objectContaining({ name: 'ValidationError', field: 'name' }) }
        }
      ],
      [
        { id: 5, name: 'x'.repeat(10_000) },
        {
          id: 5,
          outcome: { ok: false, error: expect.objectContaining({ name: 'ValidationError', field: 'name' }) }
        }
      ],
      [
        { id: { nested: [1] }, name: 'app.info' },
        {
          id: null,
          outcome: { ok: false, error: expect.objectContaining({ name: 'ValidationError', field: 'id' }) }
        }
      ],
      [
        { id: 6, name: 'app.info', args: 5 },
        { id: 6, outcome: { ok: false, error: expect.objectContaining({ name: 'ValidationError' }) } }
      ],
      [
        { id: 7, name: 'app.info', args: null },
        { id: 7, outcome: expect.objectContaining({ ok: true }) }
      ],
      [
        '{"id":"eight","name":"app.info","args":{"__proto__":{"polluted":true}}}',
        { id: 'eight', outcome: expect.objectContaining({ ok: true }) }
      ]
    ]
    for (const [message, expected] of cases) {
      peer.send(typeof message === 'string' ? message : JSON.stringify(message))
      await expect(peer.reply()).resolves.toMatchObject(expected)
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
    await expect(peer.call({ id: 9, name: 'app.info' })).resolves.toMatchObject({
      id: 9,
      outcome: { ok: true }
    })
    peer.close()
    await expectAlive()
  })

  it('answers every call of a flood and answers another tab meanwhile', async () => {
    const flooding = await SocketPeer.open(port, `?token=${serve.token}`, origin)
    const other = await SocketPeer.open(port, `?token=${serve.token}`, origin)
    const count = 3_000
    for (let id = 0; id < count; id++) flooding.send(JSON.stringify({ id, name: 'app.info' }))
    const asked = Date.now()
    await expect(other.call({ id: 'meanwhile', name: 'app.info' })).resolves.toMatchObject({
      outcome: { ok: true }
    })
    expect(Date.now() - asked).toBeLessThan(3_000)
    const answered = new Set<unknown>()
    for (let i = 0; i < count; i++) {
      const reply = await flooding.reply(20_000)
      expect(reply.outcome.ok).toBe(true)
      answered.add(reply.id)
    }
    expect(answered.size).toBe(count)
    flooding.close()
    other.close()
    await expectAlive()
  })

  it('property: random paths and percent-encodings answer 200, 400 or 404 and never leave the folder', async () => {
    const pathChar = fc.constantFrom(..."abcdefgz019-._~!$&'()*+,;=:@/\\%".split(''))
    const fragment = fc.oneof(
      fc.constantFrom(
        '%',
        '%%',
        '%zz',
        '%c0%ae',
        '%e0%80%af',
        '%ff%fe',
        '%2f',
        '%2F',
        '%5c',
        '%00',
        '%2e%2e'
      ),
      fc.constantFrom(
        '..',
        '.',
        '/',
        '\\',
        'index.html',
        'assets',
        'escape.txt',
        '..%2fsecret.txt',
        'secret.txt'
      ),
      fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).padStart(2, '0')}`),
      fc.string({ unit: 'binary', maxLength: 4 }).map((text) => encodeURIComponent(text)),
      fc.string({ unit: pathChar, maxLength: 12 }),
      fc.integer({ min: 1000, max: 1100 }).map((length) => 'a'.repeat(length))
    )
    await fc.assert(
      fc.asyncProperty(fc.array(fragment, { maxLength: 10 }), async (parts) => {
        const response = await rawRequest(port, withToken(`/${parts.join('')}`))
        expect([200, 400, 404]).toContain(response.status)
        expect(response.body).not.toContain('canary')
      }),
      { seed: 15_2, numRuns: 400 }
    )
    await expectAlive()
  })

  it('property: random WebSocket frames are answered as calls or closed with a reason', async () => {
    const message = fc.record(
      {
        id: fc.oneof(
          fc.integer(),
          fc.string({ maxLength: 8 }),
          fc.constant(null),
          fc.jsonValue({ maxDepth: 2 })
        ),
        name: fc.oneof(
          fc.constantFrom('app.info', 'no.such.call', '__proto__', 'constructor', 'hasOwnProperty', ''),
          fc.string(),
          fc.jsonValue({ maxDepth: 2 })
        ),
        args: fc.jsonValue({ maxDepth: 3 })
      },
      { requiredKeys: [] }
    )
    const encode = (text: string): Uint8Array => new TextEncoder().encode(text)
    const frame = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((value) => ({ bytes: encode(JSON.stringify(value)), binary: false })),
      message.map((value) => ({ bytes: encode(JSON.stringify(value)), binary: false })),
      fc.string({ unit: 'binary', maxLength: 40 }).map((text) => ({ bytes: encode(text), binary: false })),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes, binary: false })),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes, binary: true }))
    )
    await fc.assert(
      fc.asyncProperty(frame, async ({ bytes, binary }) => {
        const peer = await SocketPeer.open(port, `?token=${serve.token}`, origin)
        try {
          peer.send(bytes, binary)
          const answer = await peer.next()
          const expected = expectedFor(bytes, binary)
          if (expected === 'reply') {
            expect(answer.kind).toBe('message')
            const reply = (answer as { data: Reply }).data
            expect(reply).toHaveProperty('id')
            expect(typeof reply.outcome.ok).toBe('boolean')
            if (!reply.outcome.ok) expect(typeof reply.outcome.error?.name).toBe('string')
          } else {
            expect(answer).toMatchObject({ kind: 'close', code: expected })
            expect(answer.kind === 'close' && answer.reason.length > 0).toBe(true)
          }
        } finally {
          peer.close()
        }
      }),
      { seed: 15_2, numRuns: 300 }
    )
    await expectAlive()
  })
})

describe('serve in-process: cookie binding and per-connection limits', () => {
  const rendererDir = tempDir('emoheal-tiny-renderer-')
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>tiny</title>')
  const running: RunningServer[] = []
  afterAll(async () => {
    for (const server of running) await server.close()
  })

  const start = async (
    handlers: Partial<AllHandlers> = {},
    token?: string
  ): Promise<{ server: RunningServer; context: AppContext; origin: string }> => {
    const context = new AppContext({ defaultStudyPath: '', transport: 'serve', version: 'test' })
    const server = await startServer(context, handlers as AllHandlers, { rendererDir, token })
    running.push(server)
    return { server, context, origin: `http://127.0.0.1:${server.port}` }
  }

  it('names and binds the cookie to its port, so a cookie minted for one port is refused on another', async () => {
    const token = 'one-token-shared-by-two-servers-on-purpose'
    const { server: a } = await start({}, token)
    const { server: b, origin: originB } = await start({}, token)
    const first = await rawRequest(a.port, `/?token=${token}`)
    expect(first.status).toBe(200)
    expect(first.headers['set-cookie']).toMatch(
      new RegExp(`^emoheal_token_${a.port}=[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Strict$`)
    )
    const cookie = first.headers['set-cookie'].split(';')[0]
    const value = cookie.split('=')[1]
    // Every port on the host receives the cookie, so it must not carry the URL token itself.
    expect(value).not.toContain(token)
    expect((await rawRequest(a.port, '/', { cookie })).status).toBe(200)
    expect((await rawRequest(b.port, '/', { cookie })).status).toBe(403)
    expect((await rawRequest(b.port, '/', { cookie: `emoheal_token_${b.port}=${value}` })).status).toBe(403)
    expect((await rawRequest(a.port, '/', { cookie: `emoheal_token=${token}` })).status).toBe(403)
    await expect(SocketPeer.open(b.port, '', originB, { cookie })).rejects.toThrow('HTTP 403')
  })

  it('accepts the cookie only on requests the browser marks as coming from this origin', async () => {
    const { server, origin } = await start()
    const cookie = (await rawRequest(server.port, `/?token=${server.token}`)).headers['set-cookie'].split(
      ';'
    )[0]
    const status = async (headers: Record<string, string>, target = '/'): Promise<number> =>
      (await rawRequest(server.port, target, { cookie, ...headers })).status
    expect(await status({ 'sec-fetch-site': 'same-origin' })).toBe(200)
    expect(await status({ 'sec-fetch-site': 'none' })).toBe(200)
    expect(await status({ origin })).toBe(200)
    // A page on another port of 127.0.0.1 is "same-site": the browser sends the cookie along.
    expect(await status({ 'sec-fetch-site': 'same-site' })).toBe(403)
    expect(await status({ 'sec-fetch-site': 'cross-site' })).toBe(403)
    expect(await status({ origin: 'http://127.0.0.1:1' })).toBe(403)
    expect(await status({ origin: 'null' })).toBe(403)
    // The URL token is proof by itself: a link that carries it (the first visit) still works.
    expect(await status({ 'sec-fetch-site': 'cross-site' }, `/?token=${server.token}`)).toBe(200)
    const peer = await SocketPeer.open(server.port, '?token=', origin, { cookie })
    await expect(peer.call({ id: 1, name: 'no.such.call' })).resolves.toMatchObject({ id: 1 })
    peer.close()
  })

  it(`runs at most ${SERVE_LIMITS.callsInFlight} calls of one connection at once and answers all of them`, async () => {
    let active = 0
    let peak = 0
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { server, origin } = await start({
      'app.info': async () => {
        active++
        peak = Math.max(peak, active)
        await gate
        active--
        return { version: 'test', transport: 'serve', defaultStudyPath: '', backend: null }
      }
    })
    const peer = await SocketPeer.open(server.port, `?token=${server.token}`, origin)
    const count = 500
    for (let id = 0; id < count; id++) peer.send(JSON.stringify({ id, name: 'app.info' }))
    await vi.waitFor(() => expect(active).toBe(SERVE_LIMITS.callsInFlight))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(peak).toBe(SERVE_LIMITS.callsInFlight)
    release()
    const ids = new Set<unknown>()
    for (let i = 0; i < count; i++) {
      const reply = await peer.reply()
      expect(reply.outcome.ok).toBe(true)
      ids.add(reply.id)
    }
    expect(ids.size).toBe(count)
    expect(peak).toBe(SERVE_LIMITS.callsInFlight)
    peer.close()
  })

  it('answers a handler that throws or returns what JSON cannot carry with an InternalError', async () => {
    const { server, origin } = await start({
      'app.info': () => ({ big: 1n }) as never,
      'app.backends': () => {
        throw new RangeError('a handler bug')
      }
    })
    const peer = await SocketPeer.open(server.port, `?token=${server.token}`, origin)
    await expect(peer.call({ id: 1, name: 'app.info' })).resolves.toMatchObject({
      id: 1,
      outcome: { ok: false, error: { name: 'InternalError' } }
    })
    await expect(peer.call({ id: 2, name: 'app.backends' })).resolves.toMatchObject({
      id: 2,
      outcome: { ok: false, error: { name: 'InternalError', message: 'a handler bug' } }
    })
    peer.close()
  })

  it(`refuses WebSocket number ${SERVE_LIMITS.maxSockets + 1} with 503 and accepts one again once a tab closes`, async () => {
    const { server, origin } = await start()
    const query = `?token=${server.token}`
    const peers: SocketPeer[] = []
    for (let i = 0; i < SERVE_LIMITS.maxSockets; i++)
      peers.push(await SocketPeer.open(server.port, query, origin))
    await expect(SocketPeer.open(server.port, query, origin)).rejects.toThrow('HTTP 503')
    peers.pop()?.close()
    await vi.waitFor(async () => peers.push(await SocketPeer.open(server.port, query, origin)))
    for (const peer of peers) peer.close()
  })

  it('drops a connection that stopped reading once its unsent events pass the limit', async () => {
    const { server, context, origin } = await start()
    const peer = await SocketPeer.open(server.port, `?token=${server.token}`, origin)
    peer.ws.pause()
    const path = 'x'.repeat(1024 * 1024)
    for (let i = 0; i < (2 * SERVE_LIMITS.maxBufferedBytes) / path.length; i++) {
      context.emit('study.changed', { path })
    }
    peer.ws.resume()
    await expect(peer.next(10_000)).resolves.toMatchObject({ kind: 'close', code: 1006 })
  })
})
