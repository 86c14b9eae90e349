import type { ErrorReply } from '../../errors'
import type { BackendPreference } from '../runtime/backend'
import type { FoldProgress, FoldResult, FoldTask } from './fold-runner'

/**
 * The messages between the fold pool (fold-pool.ts) and a training worker thread running one fold. They cross
 * by structured clone between threads of one build, so they are typed here rather than parsed.
 */

/** A fold of a parallel evaluation, on the backend its pool chose. */
export interface FoldMessage {
  type: 'fold'
  task: FoldTask
  backend: BackendPreference
}

/** Cancels the worker's current task. */
export interface CancelMessage {
  type: 'cancel'
}

/** Replies to a fold: its progress, the backend the worker took, then its result or an error. */
export type FoldReply =
  | { type: 'progress'; progress: FoldProgress }
  | { type: 'backend'; name: string; why: string }
  | { type: 'result'; result: FoldResult }
  | ErrorReply
