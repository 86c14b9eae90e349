import { Worker } from 'node:worker_threads'
import { CancelledError, ConflictError, NotFoundError } from '../../errors'
import type { TrainProgress, TrainRequest } from '../../ipc/contract/engine'
import { ModelStore, type TrainingRunRecord } from '../../store/model-store'
import type { StudyStore } from '../../store/study-store'
import { defaultWorkerPath } from '../../files/worker-path'
import { registerModelDirectory } from '../registry/model-registry'
import { emptyProgress } from './progress'
import type { RunOutcome } from './run-training'
import type { RunReply, WorkerRequest, WorkerRunRequest } from './worker-messages'

export interface RunServiceDependencies {
  study: () => StudyStore
  emit: (progress: TrainProgress) => void
  /** The built worker entry; default out/main/train-worker.js beside the running bundle. */
  workerPath?: () => string
  /** better-sqlite3 binding for the worker's own connection (Electron's build). */
  sqliteBinding?: string
  /** How long a cancelled worker may take to stop before it is terminated. */
  cancelGraceMs?: number
}

interface ActiveRun {
  worker: Worker
  done: Promise<TrainingRunRecord>
  cancelTimer?: NodeJS.Timeout
}

/** The run results stored in training_run: the outcome without the manifest copy. */
export function storedResults(outcome: RunOutcome): Record<string, unknown> {
  const { model, ...rest } = outcome
  return { ...rest, modelDirectory: model?.directory ?? null }
}

/** Registers a finished run's model (if it saved one) and records the run's results: the CLI and the app share it. */
export function recordFinishedRun(models: ModelStore, runId: number, outcome: RunOutcome): TrainingRunRecord {
  const model = outcome.model
    ? registerModelDirectory(models, outcome.model.directory, outcome.model.manifest, { runId })
    : null
  return models.finishRun(runId, {
    status: 'done',
    results: storedResults(outcome),
    modelId: model?.id ?? null
  })
}

/** Records a run that ended without an outcome: cancelled where its error says so, else failed, with why. */
export function recordEndedRun(
  models: ModelStore,
  runId: number,
  error: { name: string; message: string }
): TrainingRunRecord {
  const status = error.name === CancelledError.name ? 'cancelled' : 'failed'
  return models.finishRun(runId, { status, error: error.message })
}

/**
 * Training runs of the app: each in its own worker thread so that capture and the UI never wait on it.
 * The run is recorded in training_run from start to end; a model is registered only when the run finished,
 * so a cancelled or failed run leaves the registry (and the active model) as it was.
 */
export class RunService {
  private readonly active = new Map<number, ActiveRun>()

  constructor(private readonly dependencies: RunServiceDependencies) {}

  private models(): ModelStore {
    return new ModelStore(this.dependencies.study().db)
  }

  start(request: TrainRequest): { runId: number } {
    if (this.active.size > 0)
      throw new ConflictError('a training run is already going; cancel it or wait for it', 'train')
    const study = this.dependencies.study()
    const run = this.models().startRun(request)
    const runId = run.id
    const worker = new Worker((this.dependencies.workerPath ?? defaultWorkerPath)())
    const emit = (progress: Omit<TrainProgress, 'runId'>) => this.dependencies.emit({ ...progress, runId })
    const finalProgress = (phase: 'done' | 'cancelled' | 'failed', message: string) =>
      emit({ phase, message, ...emptyProgress })
    const done = new Promise<TrainingRunRecord>((resolve) => {
      const finish = (record: () => TrainingRunRecord) => {
        const entry = this.active.get(runId)
        if (entry?.cancelTimer) clearTimeout(entry.cancelTimer)
        this.active.delete(runId)
        void worker.terminate()
        try {
          resolve(record())
        } catch (error) {
          // The study was closed meanwhile: nothing to record into.
          resolve({ ...run, status: 'failed', error: (error as Error).message })
        }
      }
      worker.on('message', (reply: RunReply) => {
        if (reply.type === 'progress') emit(reply.progress)
        else if (reply.type === 'result') {
          finish(() => {
            const outcome = reply.result
            const record = recordFinishedRun(this.models(), runId, outcome)
            finalProgress(
              'done',
              `done: mean accuracy ${(outcome.evaluation.mean.accuracy.mean * 100).toFixed(1)}%`
            )
            return record
          })
        } else if (reply.type === 'error') {
          finish(() => {
            const record = recordEndedRun(this.models(), runId, reply.error)
            finalProgress(record.status === 'cancelled' ? 'cancelled' : 'failed', reply.error.message)
            return record
          })
        }
      })
      worker.on('error', (error) =>
        finish(() => {
          finalProgress('failed', error.message)
          return this.models().finishRun(runId, { status: 'failed', error: error.message })
        })
      )
      worker.on('exit', (code) => {
        if (!this.active.has(runId)) return
        const cancelled = Boolean(this.active.get(runId)?.cancelTimer)
        finish(() => {
          const message = cancelled ? 'training was cancelled' : `training worker stopped (exit code ${code})`
          finalProgress(cancelled ? 'cancelled' : 'failed', message)
          return this.models().finishRun(runId, {
            status: cancelled ? 'cancelled' : 'failed',
            error: message
          })
        })
      })
    })
    this.active.set(runId, { worker, done })
    const message: WorkerRunRequest = {
      studyPath: study.path,
      sqliteBinding: this.dependencies.sqliteBinding,
      train: request
    }
    worker.postMessage({ type: 'run', request: message } satisfies WorkerRequest)
    return { runId }
  }

  /** Asks the run to stop; a worker that does not stop within the grace time is terminated. */
  cancel(runId: number): { cancelled: boolean } {
    const entry = this.active.get(runId)
    if (!entry) {
      this.models().getRun(runId)
      return { cancelled: false }
    }
    entry.worker.postMessage({ type: 'cancel' } satisfies WorkerRequest)
    entry.cancelTimer ??= setTimeout(
      () => void entry.worker.terminate(),
      this.dependencies.cancelGraceMs ?? 10_000
    )
    return { cancelled: true }
  }

  /** Resolves when the run has ended and been recorded. */
  async wait(runId: number): Promise<TrainingRunRecord> {
    const entry = this.active.get(runId)
    if (entry) return entry.done
    const run = this.models().getRun(runId)
    if (run.status === 'running')
      throw new NotFoundError(`training run ${runId} is not running in this process`, 'runId')
    return run
  }

  get running(): number[] {
    return [...this.active.keys()]
  }

  async stopAll(): Promise<void> {
    for (const runId of this.running) this.cancel(runId)
    await Promise.all([...this.active.values()].map((entry) => entry.done))
  }
}
