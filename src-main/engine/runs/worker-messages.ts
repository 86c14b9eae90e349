import type { ErrorReply } from '../../errors'
import type { TrainProgress, TrainRequest } from '../../ipc/contract/engine'
import type { CancelMessage, FoldMessage, FoldReply } from '../evaluation/fold-messages'
import type { RunOutcome } from './run-training'

/**
 * The messages between main and a training worker thread (train-worker.ts): a whole run, or one fold (evaluation/fold-messages.ts). They cross by structured clone
 * between threads of one build, so they are typed here rather than parsed; each side switches on `type`.
 */

/** What main sends for a whole run: the worker opens the study itself and only reads from it. */
export interface WorkerRunRequest {
  studyPath: string
  /** better-sqlite3's binding for the worker's own connection (Electron's build). */
  sqliteBinding?: string
  train: TrainRequest
}

export interface RunRequest {
  type: 'run'
  request: WorkerRunRequest
}

/** Messages to a training worker thread: one task at a time, and 'cancel' aborts the current one. */
export type WorkerRequest = FoldMessage | RunRequest | CancelMessage

/** Replies to a whole run: its progress, then its outcome or an error. */
export type RunReply =
  | { type: 'progress'; progress: Omit<TrainProgress, 'runId'> }
  | { type: 'result'; result: RunOutcome }
  | ErrorReply

/** Every reply of a training worker. */
export type WorkerReply = FoldReply | RunReply
