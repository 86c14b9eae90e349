import type {
  CallArgs,
  CallName,
  CallResult,
  EventName,
  Events,
  SerializedError
} from '../../../src-main/ipc/contract'
import { pickTransport } from './transport'

export class ApiError extends Error {
  readonly field?: string
  constructor(readonly error: SerializedError) {
    super(error.message)
    this.name = error.name
    this.field = error.field
  }
}

const transport = pickTransport()

export const transportKind = transport.kind

/** Typed calls into main. The renderer never knows which transport carries them. */
export async function call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
  const outcome = await transport.call(name, args)
  if (!outcome.ok) throw new ApiError(outcome.error)
  return outcome.value as CallResult<N>
}

export function onEvent<N extends EventName>(name: N, listener: (payload: Events[N]) => void): () => void {
  return transport.onEvent((eventName, payload) => {
    if (eventName === name) listener(payload as Events[N])
  })
}
