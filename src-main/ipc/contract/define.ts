import type { z } from 'zod'

/** One call from renderer to main: its argument schema (validated in main) and its result type. */
export interface CallSpec<Args extends z.ZodType = z.ZodType, Result = unknown> {
  args: Args
  /** Phantom: carries the result type only. */
  result?: Result
}

export function defineCall<Result>() {
  return <Args extends z.ZodType>(args: Args): CallSpec<Args, Result> => ({ args })
}

export interface SerializedError {
  name: string
  message: string
  field?: string
}

/** What crosses the bridge: never a thrown error. */
export type CallOutcome<T> = { ok: true; value: T } | { ok: false; error: SerializedError }
