import { ConflictError, StudyFileError, ValidationError } from '../errors'
import { diskFailure } from './disk-errors'
import { AnnotationStore, type NewAnnotation } from './annotation-store'
import { SignalStore } from './signal-store'
import type { StudyStore } from './study-store'

/**
 * Epoch times an import may hold: 2000 to 2100 (UTC). Wrist sensors of this kind are younger than 2000,
 * and a time past 2100 is a unit mistaken (ms read as s) or a damaged file, not a recording.
 */
export const EPOCH_LIMITS_MS = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }
/** The fastest stream an import may hold: above any wristband (64 Hz) or lab amplifier in use here (1 kHz). */
export const MAX_RATE_HZ = 10_000

export interface ImportedStream {
  name: string
  unit: string
  rateHz: number
  channels: string[]
  times: Float64Array
  /** Channel-interleaved. */
  samples: Float32Array
  /** The rate the samples show, beside the nominal `rateHz`, where the source says more than its nominal rate. */
  measuredRateHz?: number
  /** Holes the source left (a device paused between files), stored as gap records of the stream. */
  gaps?: ImportedGap[]
}

/** A hole in an imported stream: found from the source's timestamps. */
export interface ImportedGap {
  startMs: number
  endMs: number
  missing: number
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

/** How far a write has got, after each stream: for progress, and for tests that fail a write halfway. */
export interface WriteProgress {
  streamsWritten: number
  streams: number
  samplesWritten: number
  samples: number
}

export interface WriteOptions {
  replace?: boolean
  /** Called inside the transaction after each stream; a throw here rolls the whole import back. */
  onProgress?: (progress: WriteProgress) => void
}

export interface ImportOutcome {
  importId: number
  sessionIds: number[]
  replaced: boolean
}

function inEpoch(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EPOCH_LIMITS_MS.min && ms < EPOCH_LIMITS_MS.max
}

/**
 * The last check before a row is written: the importers refuse or screen bad values with the file and
 * line, so this only fires when one of them let something through. A NaN or an Infinity stored here would
 * come back as a gap, a crash in a feature or a session in the year 30 000, long after anyone could say
 * where it came from.
 */
export function checkPlan(plan: ImportPlan): void {
  const bad = (where: string, what: string): never => {
    throw new ValidationError(`${plan.sourcePath}: ${where}: ${what}; nothing was written`, 'plan')
  }
  for (const session of plan.sessions) {
    const at = `session "${session.name}"`
    if (!inEpoch(session.startMs)) bad(at, `start ${session.startMs} is not a time between 2000 and 2100`)
    if (session.durationMs !== null && !(session.durationMs >= 0 && Number.isFinite(session.durationMs)))
      bad(at, `duration ${session.durationMs}`)
    const names = new Set<string>()
    for (const stream of session.streams) {
      const where = `${at}, stream "${stream.name}"`
      if (names.has(stream.name)) bad(where, 'a second stream of that name')
      names.add(stream.name)
      if (!(stream.rateHz >= 0 && stream.rateHz <= MAX_RATE_HZ)) bad(where, `rate ${stream.rateHz} Hz`)
      const { times, samples } = stream
      for (let i = 0; i < times.length; i++) {
        if (!inEpoch(times[i])) bad(where, `time ${i} is ${times[i]}`)
        if (i > 0 && !(times[i] > times[i - 1])) bad(where, `time ${i} does not follow time ${i - 1}`)
      }
      for (let i = 0; i < samples.length; i++) {
        if (!Number.isFinite(samples[i])) bad(where, `sample value ${i} is ${samples[i]}`)
      }
      if (
        stream.measuredRateHz !== undefined &&
        !(stream.measuredRateHz >= 0 && stream.measuredRateHz <= MAX_RATE_HZ)
      )
        bad(where, `measured rate ${stream.measuredRateHz} Hz`)
      for (const gap of stream.gaps ?? []) {
        if (!inEpoch(gap.startMs) || !inEpoch(gap.endMs) || gap.endMs < gap.startMs || !(gap.missing >= 0))
          bad(where, `gap ${gap.startMs}..${gap.endMs} (${gap.missing} missing)`)
      }
    }
    for (const marker of session.markers) {
      if (!inEpoch(marker.timeMs)) bad(at, `marker "${marker.label}" at ${marker.timeMs}`)
    }
    for (const a of session.annotations) {
      if (!inEpoch(a.startMs) || !inEpoch(a.endMs) || a.endMs < a.startMs)
        bad(at, `annotation ${a.startMs}..${a.endMs}`)
      for (const [name, value] of [
        ['arousal', a.arousal],
        ['valence', a.valence]
      ] as const) {
        if (value !== null && !(value >= 1 && value <= 5)) bad(at, `annotation ${name} ${value}`)
      }
      for (const [name, value] of Object.entries(a.emotions)) {
        if (value !== null && !(value >= 0 && value <= 5)) bad(at, `annotation emotion ${name} ${value}`)
      }
    }
  }
}

function diskError(error: unknown, study: StudyStore, plan: ImportPlan): StudyFileError | undefined {
  const disk = diskFailure(error)
  if (!disk) return undefined
  return new StudyFileError(
    `${study.path}: ${disk.reason} (${disk.code}) while importing ${plan.sourcePath}; the import was rolled back and the study is as it was`,
    'study'
  )
}

/**
 * Writes an import plan in one transaction: either every participant, session, stream, marker and
 * annotation lands, or the study is left exactly as it was.
 */
export function writeImport(study: StudyStore, plan: ImportPlan, options: WriteOptions = {}): ImportOutcome {
  checkPlan(plan)
  const db = study.db
  const signals = new SignalStore(db)
  const annotations = new AnnotationStore(db)
  const progress: WriteProgress = { streamsWritten: 0, streams: 0, samplesWritten: 0, samples: 0 }
  for (const session of plan.sessions) {
    progress.streams += session.streams.length
    for (const stream of session.streams) progress.samples += stream.times.length
  }
  const setMeasured = db.prepare('UPDATE stream SET measured_rate_hz = ? WHERE id = ?')
  const addGap = db.prepare(
    'INSERT INTO gap (stream_id, start_ms, end_ms, missing_samples, cause, created_ms) VALUES (?, ?, ?, ?, ?, ?)'
  )
  const write = db.transaction((): ImportOutcome => {
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
      db.prepare('DELETE FROM session WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids))
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
        if (stream.measuredRateHz !== undefined) setMeasured.run(stream.measuredRateHz, created.id)
        for (const gap of stream.gaps ?? [])
          // 'timestamp': the hole is seen in the source's own times, as a recorder sees a timestamp gap.
          addGap.run(created.id, gap.startMs, gap.endMs, gap.missing, 'timestamp', Date.now())
        progress.streamsWritten++
        progress.samplesWritten += stream.times.length
        options.onProgress?.({ ...progress })
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
  try {
    return write.immediate()
  } catch (error) {
    throw diskError(error, study, plan) ?? error
  }
}
