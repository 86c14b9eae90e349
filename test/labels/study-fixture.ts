import { join } from 'node:path'
import { AnnotationStore, type NewAnnotation } from '../../src-main/store/annotation-store'
import { StudyStore } from '../../src-main/store/study-store'
import { tempDir } from '../e2e/harness'

export const SESSION_START = Date.UTC(2026, 2, 4, 0, 30, 0)

/** A fresh study file with one participant and a session of `durationMs` starting at SESSION_START. */
export function studyWithSession(durationMs: number | null = 60_000): {
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
    timezone: 'UTC',
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
