/**
 * The IPC contract: every call from renderer to main (name, argument schema, result type) and every event
 * from main to renderer. Electron IPC, the serve mode's WebSocket bridge and the renderer's client are all
 * derived from this one object. Each domain keeps its calls in its own file; they meet here.
 */
import type { z } from 'zod'
import { appCalls } from './app'
import { studyCalls } from './studies'
import { signalCalls } from './signals'
import { annotationCalls } from './annotations'
import { labelCalls } from './labels'
import { datasetCalls } from './datasets'
import { engineCalls, type TrainProgress } from './engine'
import { liveCalls, type LiveSamplesEvent, type LiveStatusView, type LiveTickView } from './live'
import { recordCalls, type RecordStatusView } from './record'
import type { CallSpec } from './define'

export const calls = {
  ...appCalls,
  ...studyCalls,
  ...signalCalls,
  ...annotationCalls,
  ...labelCalls,
  ...datasetCalls,
  ...engineCalls,
  ...liveCalls,
  ...recordCalls
} satisfies Record<string, CallSpec>

export type Calls = typeof calls
export type CallName = keyof Calls
export type CallArgs<N extends CallName> = z.input<Calls[N]['args']>
export type ParsedArgs<N extends CallName> = z.output<Calls[N]['args']>
export type CallResult<N extends CallName> = Exclude<Calls[N]['result'], undefined>

/** Events pushed from main to every renderer. */
export interface Events {
  'study.changed': { path: string | null }
  'task.progress': { taskId: string; kind: string; message: string; fraction: number | null }
  'train.progress': TrainProgress
  /** Decimated samples of the live source, about every 50 ms while it runs. */
  'live.samples': LiveSamplesEvent
  /** Live inference's result each second. */
  'live.tick': LiveTickView
  /** Live inference started or stopped (by a call, or because the study changed). */
  'live.state': LiveStatusView
  /** A recording's devices, streams and counters: on every change and once a second while it runs. */
  'record.state': RecordStatusView
}
export type EventName = keyof Events

export const callNames = Object.keys(calls) as CallName[]

export type { CallOutcome, SerializedError } from './define'
export * from './studies'
export * from './app'
export * from './signals'
export * from './annotations'
export * from './labels'
export * from './datasets'
export * from './engine'
export * from './live'
export * from './record'
