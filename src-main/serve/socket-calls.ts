import { isUtf8 } from 'node:buffer'
import type { RawData, WebSocket } from 'ws'
import type { AppContext } from '../app-context'
import { serializeError, ValidationError } from '../errors'
import type { CallOutcome } from '../ipc/contract'
import { dispatch, type AllHandlers } from '../ipc/dispatch'
import { ServerBusyError } from './errors'
import { SERVE_LIMITS } from './limits'

/** RFC 6455 §7.4.1 close codes for frames the server will not read as calls. */
const UNSUPPORTED_DATA = 1003
const INVALID_PAYLOAD = 1007
const INTERNAL_ERROR = 1011

/** Far above the renderer's numeric ids and the longest call name, far below a reply worth echoing. */
const MAX_ID_LENGTH = 128
const MAX_NAME_LENGTH = 200

type CallId = number | string | null

interface Call {
  id: CallId
  run(): Promise<CallOutcome<unknown>>
}

/**
 * Whether [ and { nest deeper than `limit` anywhere in the text, strings skipped. It runs before
 * JSON.parse so that nothing later (validation, a handler walking its argument, JSON.stringify)
 * recurses into a value deep enough to overflow the stack.
 */
export function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (inString) {
      if (code === 0x5c) i++
      else if (code === 0x22) inString = false
    } else if (code === 0x22) inString = true
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true
    } else if (code === 0x5d || code === 0x7d) depth--
  }
  return false
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}

function failed(id: CallId, error: unknown): Call {
  const outcome: CallOutcome<unknown> = { ok: false, error: serializeError(error) }
  return { id, run: () => Promise.resolve(outcome) }
}

/**
 * The envelope {id, name, args} checked before the dispatcher sees it: the id is echoed in the reply,
 * so it must be small and plain; the name must be a string (an object could not even be printed in
 * the dispatcher's message); which names exist and what their arguments are is the dispatcher's.
 */
function readCall(message: Record<string, unknown>, context: AppContext, handlers: AllHandlers): Call {
  const { id, name, args } = message
  const plainId =
    id === undefined ||
    id === null ||
    (typeof id === 'number' && Number.isFinite(id)) ||
    (typeof id === 'string' && id.length <= MAX_ID_LENGTH)
  if (!plainId) {
    return failed(
      null,
      new ValidationError(`id must be a number or a string of at most ${MAX_ID_LENGTH} characters`, 'id')
    )
  }
  const callId = (id ?? null) as CallId
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
    return failed(callId, new ValidationError('name must be the name of a call of the contract', 'name'))
  }
  return { id: callId, run: () => dispatch(handlers, context, name, args) }
}

/**
 * One WebSocket speaking the IPC contract. Every frame gets an answer: a reply {id, outcome} for a
 * JSON object, a close with a reason for anything else. Calls run at most SERVE_LIMITS.callsInFlight
 * at a time per connection; a call counts until its reply has been handed to the socket, and at the
 * limit the connection is not read further, so a flood (or a client that sends but never reads its
 * replies) is held back by TCP instead of piling up in this process.
 */
export function serveCalls(ws: WebSocket, context: AppContext, handlers: AllHandlers): void {
  const waiting: Call[] = []
  let running = 0

  const reply = (id: CallId, outcome: CallOutcome<unknown>, done: () => void): void => {
    if (ws.readyState !== ws.OPEN) return done()
    let text: string
    try {
      text = JSON.stringify({ id, outcome })
    } catch (error) {
      // A value JSON cannot carry (a BigInt, a cycle) is a handler's bug: the caller gets it as a failure.
      text = JSON.stringify({ id, outcome: { ok: false, error: serializeError(error) } })
    }
    ws.send(text, () => done())
  }

  const pump = (): void => {
    while (running < SERVE_LIMITS.callsInFlight && waiting.length > 0) start(waiting.shift() as Call)
    if (running < SERVE_LIMITS.callsInFlight && ws.isPaused) ws.resume()
  }

  const start = (call: Call): void => {
    running++
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      running--
      pump()
    }
    call
      .run()
      .then(
        (outcome) => reply(call.id, outcome, finish),
        (error: unknown) => reply(call.id, { ok: false, error: serializeError(error) }, finish)
      )
      .catch(finish)
  }

  const admit = (call: Call): void => {
    if (running < SERVE_LIMITS.callsInFlight) start(call)
    else if (waiting.length < SERVE_LIMITS.callsQueued) waiting.push(call)
    else {
      const busy = new ServerBusyError(
        `more than ${SERVE_LIMITS.callsQueued} calls are waiting on this connection: wait for replies`
      )
      reply(call.id, { ok: false, error: serializeError(busy) }, () => undefined)
    }
    // Frames already read still arrive after this; they wait in `waiting`, which only they can fill.
    if (running >= SERVE_LIMITS.callsInFlight) ws.pause()
  }

  const receive = (bytes: Buffer, isBinary: boolean): void => {
    if (ws.readyState !== ws.OPEN) return
    if (isBinary) return ws.close(UNSUPPORTED_DATA, 'calls are JSON text frames, not binary')
    // ws is told to skip its own check so that this close, like the others, says why.
    if (!isUtf8(bytes)) return ws.close(INVALID_PAYLOAD, 'message is not UTF-8 text')
    const text = bytes.toString('utf8')
    if (nestingExceeds(text, SERVE_LIMITS.maxJsonDepth)) {
      return ws.close(INVALID_PAYLOAD, `message nests deeper than ${SERVE_LIMITS.maxJsonDepth} levels`)
    }
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      return ws.close(INVALID_PAYLOAD, 'message is not JSON')
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      return ws.close(INVALID_PAYLOAD, 'message is not a JSON object {id, name, args}')
    }
    admit(readCall(message as Record<string, unknown>, context, handlers))
  }

  ws.on('message', (data, isBinary) => {
    try {
      receive(asBuffer(data), isBinary)
    } catch (error) {
      console.error(`emoheal serve: a WebSocket message failed: ${String(error)}`)
      ws.close(INTERNAL_ERROR, 'internal error')
    }
  })
  // ws reports protocol violations (a message over maxPayload, a bad opcode) here after it has already
  // closed the socket with the matching code; without a listener the event would end the process.
  ws.on('error', () => undefined)

  const unsubscribe = context.onEvent((event, payload) => {
    if (ws.readyState !== ws.OPEN) return
    // A tab that stopped reading (suspended, or a client that only sends) would otherwise keep every
    // event of a live recording in this process's memory.
    if (ws.bufferedAmount > SERVE_LIMITS.maxBufferedBytes) return ws.terminate()
    try {
      ws.send(JSON.stringify({ event, payload }))
    } catch (error) {
      // The emitter is a service's: a failure here must not be thrown back into it.
      console.error(`emoheal serve: event ${event} could not be sent: ${String(error)}`)
    }
  })
  ws.on('close', () => {
    unsubscribe()
    waiting.length = 0
  })
}
