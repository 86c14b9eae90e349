import type { SerializedError } from '../../errors'
import type { TrainProgress, TrainRequest } from '../../ipc/contract/engine'
import type { BackendPreference } from '../backend'
import type { FoldProgress, FoldResult, FoldTask } from '../evaluation/fold-runner'
import type { RunOutcome } from '../run-training'

/**
 * The messages between main and a training worker thread (train-worker.ts). They cross by structured clone
 * between threads of one build, so they are typed here rather than parsed; each side switches on `type`.
 */

/** What main sends for a whole run: the worker opens the study itself and only reads from it. */
export interface WorkerRunRequest {
  studyPath: string
  /** better-sqlite3's binding for the worker's own connection (Electron's build). */
  sqliteBinding?: string
  train: TrainRequest
}

/** A fold of a parallel evaluation, on the backend its pool chose. */
export interface FoldRequest {
  type: 'fold'
  task: FoldTask
  backend: BackendPreference
}

export interface RunRequest {
  type: 'run'
  request: WorkerRunRequest
}

/** Messages to a training worker thread: one task at a time, and 'cancel' aborts the current one. */
export type WorkerRequest = FoldRequest | RunRequest | { type: 'cancel' }

/** A task that failed (or was cancelled: the error's name says so), as it crosses the thread. */
export interface ErrorReply {
  type: 'error'
  error: SerializedError
}

/** Replies to a fold: its progress, the backend the worker took, then its result or an error. */
export type FoldReply =
  | { type: 'progress'; progress: FoldProgress }
  | { type: 'backend'; name: string; why: string }
  | { type: 'result'; result: FoldResult }
  | ErrorReply

/** Replies to a whole run: its progress, then its outcome or an error. */
export type RunReply =
  | { type: 'progress'; progress: Omit<TrainProgress, 'runId'> }
  | { type: 'result'; result: RunOutcome }
  | ErrorReply

/** Every reply of a training worker. */
export type WorkerReply = FoldReply | RunReply
