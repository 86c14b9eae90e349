import type { AppContext } from '../app-context'
import { parseOrRefuse, serializeError, ValidationError } from '../errors'
import { calls, type CallName, type CallOutcome } from './contract'
import type { Handler } from './handler'

export type AllHandlers = { [N in CallName]: Handler<N> }

function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name)
}

/**
 * The one entry for every call, whatever the transport: checks the name, validates the argument
 * against the contract's schema, runs the handler, and turns any failure into a serialized error.
 * It never throws, so a bad call can neither cross the bridge as an exception nor take main down.
 */
export async function dispatch(
  handlers: AllHandlers,
  context: AppContext,
  name: unknown,
  args: unknown
): Promise<CallOutcome<unknown>> {
  try {
    if (!isCallName(name)) throw new ValidationError(`unknown call "${String(name)}"`, 'name')
    const parsed = parseOrRefuse(calls[name].args, args ?? {}, { shown: (field) => `${name}: ${field}` })
    const handler = handlers[name] as (args: unknown, context: AppContext) => unknown
    return { ok: true, value: await handler(parsed, context) }
  } catch (error) {
    return { ok: false, error: serializeError(error) }
  }
}
