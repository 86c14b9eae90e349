import type { AppContext } from '../app-context'
import type { CallName, CallResult, ParsedArgs } from './contract'

export type Handler<N extends CallName> = (
  args: ParsedArgs<N>,
  context: AppContext
) => Promise<CallResult<N>> | CallResult<N>

/** Handlers for a subset of the contract; ipc/handlers/ has one such object a domain, and create-handlers.ts joins them. */
export type HandlerMap<N extends CallName> = { [K in N]: Handler<K> }
