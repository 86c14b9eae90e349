import type { AppContext } from '../app-context'
import type { CallName, CallResult, ParsedArgs } from './contract'

export type Handler<N extends CallName> = (
  args: ParsedArgs<N>,
  context: AppContext
) => Promise<CallResult<N>> | CallResult<N>

/** Handlers for a subset of the contract; each domain exports one such object and ipc/handlers.ts joins them. */
export type HandlerMap<N extends CallName> = { [K in N]: Handler<K> }
