import { NotFoundError } from '../errors'
import { currentOwner, ownerIsGone } from './process-owner'
import type { ModelView as ModelRecord, TrainingRunView as TrainingRunRecord } from '../ipc/contract/engine'
import type { Db } from './study-file'

// The registry's records are exactly what the contract shows the renderer: one definition serves both.
export type { ModelView as ModelRecord, TrainingRunView as TrainingRunRecord } from '../ipc/contract/engine'
export type RunStatus = TrainingRunRecord['status']

export interface PredictionRecord {
  modelId: number
  sessionId: number
  target: string
  windowEndMs: number
  probabilities: number[]
}

interface ModelRow {
  id: number
  name: string
  directory: string
  preset: string
  target: string
  config: string
  metrics: string
  active: number
  created_ms: number
}

interface RunRow {
  id: number
  model_id: number | null
  status: RunStatus
  config: string
  results: string | null
  error: string | null
  started_ms: number
  ended_ms: number | null
}

const toModel = (row: ModelRow): ModelRecord => ({
  id: row.id,
  name: row.name,
  directory: row.directory,
  preset: row.preset,
  target: row.target,
  config: JSON.parse(row.config) as Record<string, unknown>,
  metrics: JSON.parse(row.metrics) as Record<string, unknown>,
  active: row.active === 1,
  createdMs: row.created_ms
})

const toRun = (row: RunRow): TrainingRunRecord => ({
  id: row.id,
  modelId: row.model_id,
  status: row.status,
  config: JSON.parse(row.config) as Record<string, unknown>,
  results: row.results === null ? null : (JSON.parse(row.results) as Record<string, unknown>),
  error: row.error,
  startedMs: row.started_ms,
  endedMs: row.ended_ms
})

/** The model registry, training runs and stored predictions of one study. */
export class ModelStore {
  constructor(private readonly db: Db) {}

  registerModel(input: {
    name: string
    directory: string
    preset: string
    target: string
    config: unknown
    metrics: unknown
  }): ModelRecord {
    const result = this.db
      .prepare(
        'INSERT INTO model (name, directory, preset, target, config, metrics, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)'
      )
      .run(
        input.name,
        input.directory,
        input.preset,
        input.target,
        JSON.stringify(input.config ?? {}),
        JSON.stringify(input.metrics ?? {}),
        Date.now()
      )
    return this.getModel(Number(result.lastInsertRowid))
  }

  getModel(id: number): ModelRecord {
    const row = this.db.prepare('SELECT * FROM model WHERE id = ?').get(id) as ModelRow | undefined
    if (!row) throw new NotFoundError(`model ${id} does not exist`, 'modelId')
    return toModel(row)
  }

  listModels(): ModelRecord[] {
    return (this.db.prepare('SELECT * FROM model ORDER BY created_ms DESC, id DESC').all() as ModelRow[]).map(
      toModel
    )
  }

  /** Makes a model the active one of its target (one active model per target). */
  activateModel(id: number): ModelRecord {
    const model = this.getModel(id)
    this.db.transaction(() => {
      this.db.prepare('UPDATE model SET active = 0 WHERE target = ?').run(model.target)
      this.db.prepare('UPDATE model SET active = 1 WHERE id = ?').run(id)
    })()
    return this.getModel(id)
  }

  activeModel(target: string): ModelRecord | null {
    const row = this.db.prepare('SELECT * FROM model WHERE target = ? AND active = 1').get(target) as
      ModelRow | undefined
    return row ? toModel(row) : null
  }

  startRun(config: unknown): TrainingRunRecord {
    const result = this.db
      .prepare(
        "INSERT INTO training_run (status, config, started_ms, owner_pid, owner_host) VALUES ('running', ?, ?, ?, ?)"
      )
      .run(JSON.stringify(config), Date.now(), currentOwner().pid, currentOwner().host)
    return this.getRun(Number(result.lastInsertRowid))
  }

  finishRun(
    id: number,
    outcome: {
      status: Exclude<RunStatus, 'running'>
      results?: unknown
      error?: string
      modelId?: number | null
    }
  ): TrainingRunRecord {
    this.getRun(id)
    this.db
      .prepare(
        'UPDATE training_run SET status = ?, results = ?, error = ?, model_id = ?, ended_ms = ? WHERE id = ?'
      )
      .run(
        outcome.status,
        outcome.results === undefined ? null : JSON.stringify(outcome.results),
        outcome.error ?? null,
        outcome.modelId ?? null,
        Date.now(),
        id
      )
    return this.getRun(id)
  }

  getRun(id: number): TrainingRunRecord {
    const row = this.db.prepare('SELECT * FROM training_run WHERE id = ?').get(id) as RunRow | undefined
    if (!row) throw new NotFoundError(`training run ${id} does not exist`, 'runId')
    return toRun(row)
  }

  listRuns(): TrainingRunRecord[] {
    return (
      this.db.prepare('SELECT * FROM training_run ORDER BY started_ms DESC, id DESC').all() as RunRow[]
    ).map(toRun)
  }

  /** Runs left 'running' by a process that died are marked failed when a study opens. */
  /**
   * Marks as failed the runs left 'running' by a process that is gone (a crash, a killed CLI). Runs of a
   * live process — the CLI training beside the app on the same study — are left alone.
   */
  failStaleRuns(reason: string): number {
    const running = this.db
      .prepare("SELECT id, owner_pid, owner_host FROM training_run WHERE status = 'running'")
      .all() as { id: number; owner_pid: number | null; owner_host: string | null }[]
    const stale = running.filter((run) => ownerIsGone(run.owner_pid, run.owner_host))
    const mark = this.db.prepare(
      "UPDATE training_run SET status = 'failed', error = ?, ended_ms = ? WHERE id = ?"
    )
    for (const run of stale) mark.run(reason, Date.now(), run.id)
    return stale.length
  }

  /** Stores per-window probabilities, replacing earlier ones of the same model, session, target and window. */
  savePredictions(
    modelId: number,
    sessionId: number,
    target: string,
    rows: { windowEndMs: number; probabilities: number[] }[]
  ): number {
    const upsert = this.db.prepare(
      `INSERT INTO prediction (model_id, session_id, target, window_end_ms, probabilities, created_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (model_id, session_id, target, window_end_ms) DO UPDATE SET probabilities = excluded.probabilities, created_ms = excluded.created_ms`
    )
    const now = Date.now()
    this.db.transaction(() => {
      for (const row of rows)
        upsert.run(modelId, sessionId, target, row.windowEndMs, JSON.stringify(row.probabilities), now)
    })()
    return rows.length
  }

  listPredictions(sessionId: number, modelId?: number): PredictionRecord[] {
    const rows = (
      modelId === undefined
        ? this.db
            .prepare('SELECT * FROM prediction WHERE session_id = ? ORDER BY model_id, target, window_end_ms')
            .all(sessionId)
        : this.db
            .prepare(
              'SELECT * FROM prediction WHERE session_id = ? AND model_id = ? ORDER BY target, window_end_ms'
            )
            .all(sessionId, modelId)
    ) as {
      model_id: number
      session_id: number
      target: string
      window_end_ms: number
      probabilities: string
    }[]
    return rows.map((row) => ({
      modelId: row.model_id,
      sessionId: row.session_id,
      target: row.target,
      windowEndMs: row.window_end_ms,
      probabilities: JSON.parse(row.probabilities) as number[]
    }))
  }
}
