import { NotFoundError, ValidationError } from '../errors'
import type { Annotation, AnnotationSource, Marker } from '../ipc/contract/annotations'
import type { Db } from './study-file'

export type { Annotation, AnnotationSource, Marker }

export type NewAnnotation = Omit<Annotation, 'id' | 'sessionId' | 'note'> & { note?: string }

/** What a hand edit may change: everything but who made the annotation. */
export type AnnotationChange = Pick<
  Annotation,
  'startMs' | 'endMs' | 'arousal' | 'valence' | 'emotions' | 'note'
>

interface AnnotationRow {
  id: number
  session_id: number
  source: AnnotationSource
  rater: string
  start_ms: number
  end_ms: number
  arousal: number | null
  valence: number | null
  emotions: string
  note: string
}

function toAnnotation(row: AnnotationRow): Annotation {
  return {
    id: row.id,
    sessionId: row.session_id,
    source: row.source,
    rater: row.rater,
    startMs: row.start_ms,
    endMs: row.end_ms,
    arousal: row.arousal,
    valence: row.valence,
    emotions: JSON.parse(row.emotions) as Record<string, number | null>,
    note: row.note
  }
}

export class AnnotationStore {
  constructor(private readonly db: Db) {}

  insertAnnotations(sessionId: number, annotations: NewAnnotation[]): number[] {
    const now = Date.now()
    const insert = this.db.prepare(
      `INSERT INTO annotation (session_id, source, rater, start_ms, end_ms, arousal, valence, emotions, note, created_ms, updated_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    return annotations.map((a) =>
      Number(
        insert.run(
          sessionId,
          a.source,
          a.rater,
          a.startMs,
          a.endMs,
          a.arousal,
          a.valence,
          JSON.stringify(a.emotions),
          a.note ?? '',
          now,
          now
        ).lastInsertRowid
      )
    )
  }

  listAnnotations(sessionId: number, source?: AnnotationSource): Annotation[] {
    const rows = (
      source
        ? this.db
            .prepare('SELECT * FROM annotation WHERE session_id = ? AND source = ? ORDER BY start_ms, rater')
            .all(sessionId, source)
        : this.db
            .prepare('SELECT * FROM annotation WHERE session_id = ? ORDER BY source, start_ms, rater')
            .all(sessionId)
    ) as AnnotationRow[]
    return rows.map(toAnnotation)
  }

  getAnnotation(id: number): Annotation {
    const row = this.db.prepare('SELECT * FROM annotation WHERE id = ?').get(id) as AnnotationRow | undefined
    if (!row) throw new NotFoundError(`annotation ${id} does not exist`, 'id')
    return toAnnotation(row)
  }

  /** Changes a hand-made annotation; reports from participants and raters are corrected on the Labels page instead. */
  updateAnnotation(id: number, change: AnnotationChange): Annotation {
    this.requireManual(id, 'edited')
    if (change.endMs < change.startMs)
      throw new ValidationError('an annotation cannot end before it starts', 'endMs')
    this.db
      .prepare(
        `UPDATE annotation SET start_ms = ?, end_ms = ?, arousal = ?, valence = ?, emotions = ?, note = ?, updated_ms = ?
         WHERE id = ?`
      )
      .run(
        change.startMs,
        change.endMs,
        change.arousal,
        change.valence,
        JSON.stringify(change.emotions),
        change.note,
        Date.now(),
        id
      )
    return this.getAnnotation(id)
  }

  deleteAnnotation(id: number): { deleted: number } {
    this.requireManual(id, 'deleted')
    return { deleted: this.db.prepare('DELETE FROM annotation WHERE id = ?').run(id).changes }
  }

  private requireManual(id: number, action: string): void {
    const annotation = this.getAnnotation(id)
    if (annotation.source !== 'manual') {
      throw new ValidationError(
        `annotation ${id} is a ${annotation.source} report and cannot be ${action} here`,
        'id'
      )
    }
  }

  insertMarkers(sessionId: number, markers: { timeMs: number; label: string; source: string }[]): number[] {
    const insert = this.db.prepare(
      'INSERT INTO marker (session_id, time_ms, label, source, created_ms) VALUES (?, ?, ?, ?, ?)'
    )
    const now = Date.now()
    return markers.map((m) => Number(insert.run(sessionId, m.timeMs, m.label, m.source, now).lastInsertRowid))
  }

  listMarkers(sessionId: number): Marker[] {
    return this.db
      .prepare(
        'SELECT id, session_id AS sessionId, time_ms AS timeMs, label, source FROM marker WHERE session_id = ? ORDER BY time_ms'
      )
      .all(sessionId) as Marker[]
  }

  getMarker(id: number): Marker {
    const row = this.db
      .prepare(
        'SELECT id, session_id AS sessionId, time_ms AS timeMs, label, source FROM marker WHERE id = ?'
      )
      .get(id) as Marker | undefined
    if (!row) throw new NotFoundError(`marker ${id} does not exist`, 'id')
    return row
  }

  updateMarker(id: number, change: { timeMs: number; label: string }): Marker {
    this.getMarker(id)
    this.db
      .prepare('UPDATE marker SET time_ms = ?, label = ? WHERE id = ?')
      .run(change.timeMs, change.label, id)
    return this.getMarker(id)
  }

  deleteMarker(id: number): { deleted: number } {
    this.getMarker(id)
    return { deleted: this.db.prepare('DELETE FROM marker WHERE id = ?').run(id).changes }
  }
}
