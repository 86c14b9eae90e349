import type { AppContext } from '../app-context'
import { serializeError, ValidationError } from '../errors'
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
    const parsed = calls[name].args.safeParse(args ?? {})
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue.path.map(String).join('.') || '(argument)'
      throw new ValidationError(`${name}: ${field}: ${issue.message}`, field)
    }
    const handler = handlers[name] as (args: unknown, context: AppContext) => unknown
    return { ok: true, value: await handler(parsed.data, context) }
  } catch (error) {
    return { ok: false, error: serializeError(error) }
  }
}
