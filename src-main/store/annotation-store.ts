import { NotFoundError } from '../errors'
import type { Db } from './study-file'

export type AnnotationSource = 'self' | 'partner' | 'external' | 'manual'

export interface Annotation {
  id: number
  sessionId: number
  source: AnnotationSource
  /** Which rater of the source (e.g. R1..R5 for external raters, 'aggregate' for their mean); '' where there is one. */
  rater: string
  startMs: number
  endMs: number
  arousal: number | null
  valence: number | null
  emotions: Record<string, number | null>
  note: string
}

export type NewAnnotation = Omit<Annotation, 'id' | 'sessionId' | 'note'> & { note?: string }

export interface Marker {
  id: number
  sessionId: number
  timeMs: number
  label: string
  source: string
}

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
    return annotations.map(
      (a) =>
        Number(
          insert.run(sessionId, a.source, a.rater, a.startMs, a.endMs, a.arousal, a.valence, JSON.stringify(a.emotions), a.note ?? '', now, now)
            .lastInsertRowid
        )
    )
  }

  listAnnotations(sessionId: number, source?: AnnotationSource): Annotation[] {
    const rows = (
      source
        ? this.db.prepare('SELECT * FROM annotation WHERE session_id = ? AND source = ? ORDER BY start_ms, rater').all(sessionId, source)
        : this.db.prepare('SELECT * FROM annotation WHERE session_id = ? ORDER BY source, start_ms, rater').all(sessionId)
    ) as AnnotationRow[]
    return rows.map(toAnnotation)
  }

  getAnnotation(id: number): Annotation {
    const row = this.db.prepare('SELECT * FROM annotation WHERE id = ?').get(id) as AnnotationRow | undefined
    if (!row) throw new NotFoundError(`annotation ${id} does not exist`, 'id')
    return toAnnotation(row)
  }

  insertMarkers(sessionId: number, markers: { timeMs: number; label: string; source: string }[]): number[] {
    const insert = this.db.prepare('INSERT INTO marker (session_id, time_ms, label, source, created_ms) VALUES (?, ?, ?, ?, ?)')
    const now = Date.now()
    return markers.map((m) => Number(insert.run(sessionId, m.timeMs, m.label, m.source, now).lastInsertRowid))
  }

  listMarkers(sessionId: number): Marker[] {
    return this.db
      .prepare('SELECT id, session_id AS sessionId, time_ms AS timeMs, label, source FROM marker WHERE session_id = ? ORDER BY time_ms')
      .all(sessionId) as Marker[]
  }
}
