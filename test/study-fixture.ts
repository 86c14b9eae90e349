import Database from 'better-sqlite3'
import { join } from 'node:path'
import { AnnotationStore, type NewAnnotation } from '../src-main/store/annotation-store'
import { StudyStore } from '../src-main/store/study-store'
import { tempDir } from './e2e/harness'

export const SESSION_START = Date.UTC(2026, 2, 4, 0, 30, 0)

/** A fresh study file with one participant and a session of `durationMs` starting at SESSION_START. */
export function studyWithSession(
  durationMs: number | null = 60_000,
  timezone = 'UTC'
): {
  study: StudyStore
  sessionId: number
  annotations: AnnotationStore
} {
  const study = new StudyStore(join(tempDir('emoheal-labels-'), 'labels.emoheal-study'), {
    create: true,
    name: 'Labels'
  })
  const participant = study.createParticipant({ code: 'P01', notes: '' })
  const session = study.createSession({
    participantId: participant.id,
    name: 'Debate',
    startMs: SESSION_START,
    timezone,
    durationMs,
    notes: ''
  })
  return { study, sessionId: session.id, annotations: new AnnotationStore(study.db) }
}

/** A 5-s report ending `endSecond` seconds after SESSION_START. */
export function report(
  source: NewAnnotation['source'],
  endSecond: number,
  arousal: number | null,
  valence: number | null,
  rater = '',
  emotions: Record<string, number | null> = {}
): NewAnnotation {
  const endMs = SESSION_START + endSecond * 1000
  return { source, rater, startMs: endMs - 5000, endMs, arousal, valence, emotions }
}

/** A row of a study file's label_revision table, as the file holds it. */
export interface RevisionRow {
  target: string
  window_end_ms: number
  old_value: number | null
  new_value: number | null
  reason: string
  reverted_ms: number | null
  revert_reason: string | null
}

/** The label revisions of a study file in the order they were made, read straight from the file. */
export function revisionRowsIn(studyPath: string): RevisionRow[] {
  const db = new Database(studyPath, { readonly: true })
  try {
    return db
      .prepare(
        'SELECT target, window_end_ms, old_value, new_value, reason, reverted_ms, revert_reason FROM label_revision ORDER BY id'
      )
      .all() as RevisionRow[]
  } finally {
    db.close()
  }
}
