import { ConflictError, NotFoundError, ValidationError } from '../errors'
import type { LabelRevision, LabelTarget } from '../ipc/contract/labels'
import type { Db } from '../store/study-file'

interface RevisionRow {
  id: number
  session_id: number
  target: LabelTarget
  window_end_ms: number
  old_value: number | null
  new_value: number | null
  reason: string
  created_ms: number
  reverted_ms: number | null
  revert_reason: string | null
}

function toRevision(row: RevisionRow): LabelRevision {
  return {
    id: row.id,
    sessionId: row.session_id,
    target: row.target,
    windowEndMs: row.window_end_ms,
    oldValue: row.old_value,
    newValue: row.new_value,
    reason: row.reason,
    createdMs: row.created_ms,
    revertedMs: row.reverted_ms,
    revertReason: row.revert_reason
  }
}

function requireReason(reason: string, field: string): string {
  const trimmed = reason.trim()
  if (!trimmed) throw new ValidationError(`${field}: a reason is required`, field)
  return trimmed
}

function checkRating(value: number | null): void {
  if (value !== null && !(value >= 1 && value <= 5))
    throw new ValidationError(`value ${value} is outside 1..5`, 'value')
}

/** Hand corrections of window labels. Nothing is deleted: a revert marks the revision and keeps it. */
export class RevisionStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now
  ) {}

  add(
    input: Pick<LabelRevision, 'sessionId' | 'target' | 'windowEndMs' | 'oldValue' | 'newValue' | 'reason'>
  ): LabelRevision {
    checkRating(input.newValue)
    const reason = requireReason(input.reason, 'reason')
    const result = this.db
      .prepare(
        `INSERT INTO label_revision (session_id, target, window_end_ms, old_value, new_value, reason, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        input.sessionId,
        input.target,
        input.windowEndMs,
        input.oldValue,
        input.newValue,
        reason,
        this.now()
      )
    return this.get(Number(result.lastInsertRowid))
  }

  get(id: number): LabelRevision {
    const row = this.db.prepare('SELECT * FROM label_revision WHERE id = ?').get(id) as
      RevisionRow | undefined
    if (!row) throw new NotFoundError(`label revision ${id} does not exist`, 'revisionId')
    return toRevision(row)
  }

  revert(id: number, reason: string): LabelRevision {
    const revision = this.get(id)
    if (revision.revertedMs !== null)
      throw new ConflictError(`label revision ${id} was already reverted`, 'revisionId')
    this.db
      .prepare('UPDATE label_revision SET reverted_ms = ?, revert_reason = ? WHERE id = ?')
      .run(this.now(), requireReason(reason, 'reason'), id)
    return this.get(id)
  }

  /** Newest first. */
  list(sessionId: number): LabelRevision[] {
    return (
      this.db
        .prepare('SELECT * FROM label_revision WHERE session_id = ? ORDER BY created_ms DESC, id DESC')
        .all(sessionId) as RevisionRow[]
    ).map(toRevision)
  }

  /** The label in force per target and window end (report time): the latest revision not reverted. */
  active(sessionId: number): Record<LabelTarget, Map<number, number | null>> {
    const rows = this.db
      .prepare(
        'SELECT * FROM label_revision WHERE session_id = ? AND reverted_ms IS NULL ORDER BY created_ms, id'
      )
      .all(sessionId) as RevisionRow[]
    const active = { arousal: new Map<number, number | null>(), valence: new Map<number, number | null>() }
    for (const row of rows) active[row.target].set(row.window_end_ms, row.new_value)
    return active
  }
}
