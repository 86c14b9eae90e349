import { ConflictError } from '../errors'
import { AnnotationStore, type NewAnnotation } from './annotation-store'
import { SignalStore } from './signal-store'
import type { StudyStore } from './study-store'

export interface ImportedStream {
  name: string
  unit: string
  rateHz: number
  channels: string[]
  times: Float64Array
  /** Channel-interleaved. */
  samples: Float32Array
}

export interface ImportedSession {
  participantCode: string
  name: string
  startMs: number
  timezone: string
  durationMs: number | null
  notes?: string
  streams: ImportedStream[]
  markers: { timeMs: number; label: string; source: string }[]
  annotations: NewAnnotation[]
}

/** Everything one import adds, prepared in memory and checked before a single row is written. */
export interface ImportPlan {
  kind: string
  sourcePath: string
  /** Hash of the source files' contents: a second import of the same data is recognised by it. */
  contentHash: string
  sessions: ImportedSession[]
  report: unknown
}

export interface ImportOutcome {
  importId: number
  sessionIds: number[]
  replaced: boolean
}

/**
 * Writes an import plan in one transaction: either every participant, session, stream, marker and
 * annotation lands, or the study is left exactly as it was.
 */
export function writeImport(
  study: StudyStore,
  plan: ImportPlan,
  options: { replace?: boolean } = {}
): ImportOutcome {
  const db = study.db
  const signals = new SignalStore(db)
  const annotations = new AnnotationStore(db)
  return db
    .transaction((): ImportOutcome => {
      const previous = db
        .prepare('SELECT id, session_ids FROM import_record WHERE content_hash = ?')
        .get(plan.contentHash) as { id: number; session_ids: string } | undefined
      if (previous && !options.replace) {
        throw new ConflictError(
          `${plan.sourcePath}: this data was already imported (import ${previous.id}); ask to replace it to import again`,
          'contentHash'
        )
      }
      if (previous) {
        const ids = JSON.parse(previous.session_ids) as number[]
        db.prepare('DELETE FROM session WHERE id IN (SELECT value FROM json_each(?))').run(
          JSON.stringify(ids)
        )
        db.prepare('DELETE FROM import_record WHERE id = ?').run(previous.id)
      }
      const sessionIds: number[] = []
      for (const item of plan.sessions) {
        const participant =
          study.findParticipantByCode(item.participantCode) ??
          study.createParticipant({ code: item.participantCode, notes: '' })
        const session = study.createSession({
          participantId: participant.id,
          name: item.name,
          startMs: item.startMs,
          timezone: item.timezone,
          durationMs: item.durationMs,
          notes: item.notes ?? '',
          source: plan.kind
        })
        for (const stream of item.streams) {
          const created = signals.createStream(session.id, stream)
          signals.append(created.id, {
            times: stream.times,
            samples: stream.samples,
            channelCount: stream.channels.length
          })
        }
        annotations.insertMarkers(session.id, item.markers)
        annotations.insertAnnotations(session.id, item.annotations)
        sessionIds.push(session.id)
      }
      const record = db
        .prepare(
          'INSERT INTO import_record (kind, content_hash, source_path, session_ids, report, created_ms) VALUES (?, ?, ?, ?, ?, ?)'
        )
        .run(
          plan.kind,
          plan.contentHash,
          plan.sourcePath,
          JSON.stringify(sessionIds),
          JSON.stringify(plan.report),
          Date.now()
        )
      return { importId: Number(record.lastInsertRowid), sessionIds, replaced: previous !== undefined }
    })
    .immediate()
}
