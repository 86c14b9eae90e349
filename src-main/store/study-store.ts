import { ConflictError, NotFoundError } from '../errors'
import type { z } from 'zod'
import type { Participant, Session, StreamInfo, StudyInfo } from '../ipc/contract'
import type { sessionInput } from '../ipc/contract/studies'
import { LATEST_SCHEMA_VERSION } from './migrations'
import { openStudyFile, type Db, type OpenStudyOptions } from './study-file'

/** A session's own fields, as the contract's sessionInput validates them. */
type SessionFields = z.output<typeof sessionInput>

interface SessionRow {
  id: number
  participant_id: number
  participant_code: string
  name: string
  start_ms: number
  timezone: string
  duration_ms: number | null
  notes: string
  source: string
  alignment_offset_ms: number
  recording_state: 'recording' | 'complete' | 'interrupted' | 'failed' | null
  recording_message: string | null
}

interface StreamRow {
  id: number
  session_id: number
  name: string
  unit: string
  rate_hz: number
  channels: string
  start_ms: number | null
  end_ms: number | null
  sample_count: number
}

export function toStreamInfo(row: StreamRow): StreamInfo {
  return {
    id: row.id,
    name: row.name,
    unit: row.unit,
    rateHz: row.rate_hz,
    channels: JSON.parse(row.channels) as string[],
    startMs: row.start_ms,
    endMs: row.end_ms,
    sampleCount: row.sample_count
  }
}

/** One open study file: participants, sessions and their metadata. Signals, labels and models have their own stores on the same Db. */
export class StudyStore {
  readonly db: Db

  constructor(
    readonly path: string,
    options: OpenStudyOptions = {}
  ) {
    this.db = openStudyFile(path, options)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  info(): StudyInfo {
    const study = this.db.prepare('SELECT name, description FROM study WHERE id = 1').get() as {
      name: string
      description: string
    }
    const counts = this.db
      .prepare(
        'SELECT (SELECT count(*) FROM participant) AS participants, (SELECT count(*) FROM session) AS sessions'
      )
      .get() as { participants: number; sessions: number }
    return {
      path: this.path,
      name: study.name,
      description: study.description,
      schemaVersion: LATEST_SCHEMA_VERSION,
      participantCount: counts.participants,
      sessionCount: counts.sessions
    }
  }

  updateInfo(name: string, description: string): StudyInfo {
    this.db.prepare('UPDATE study SET name = ?, description = ? WHERE id = 1').run(name, description)
    return this.info()
  }

  listParticipants(): Participant[] {
    return this.db
      .prepare(
        `SELECT p.id, p.code, p.notes, count(s.id) AS sessionCount
         FROM participant p LEFT JOIN session s ON s.participant_id = p.id
         GROUP BY p.id ORDER BY p.code COLLATE NOCASE`
      )
      .all() as Participant[]
  }

  getParticipant(id: number): Participant {
    const row = this.db
      .prepare(
        `SELECT p.id, p.code, p.notes, (SELECT count(*) FROM session s WHERE s.participant_id = p.id) AS sessionCount
         FROM participant p WHERE p.id = ?`
      )
      .get(id) as Participant | undefined
    if (!row) throw new NotFoundError(`participant ${id} does not exist`, 'id')
    return row
  }

  findParticipantByCode(code: string): Participant | undefined {
    const row = this.db.prepare('SELECT id FROM participant WHERE code = ?').get(code) as
      { id: number } | undefined
    return row ? this.getParticipant(row.id) : undefined
  }

  createParticipant(input: { code: string; notes: string }): Participant {
    if (this.findParticipantByCode(input.code)) {
      throw new ConflictError(`a participant with code "${input.code}" already exists`, 'code')
    }
    const result = this.db
      .prepare('INSERT INTO participant (code, notes, created_ms) VALUES (?, ?, ?)')
      .run(input.code, input.notes, Date.now())
    return this.getParticipant(Number(result.lastInsertRowid))
  }

  updateParticipant(input: { id: number; code: string; notes: string }): Participant {
    this.getParticipant(input.id)
    const clash = this.findParticipantByCode(input.code)
    if (clash && clash.id !== input.id)
      throw new ConflictError(`a participant with code "${input.code}" already exists`, 'code')
    this.db
      .prepare('UPDATE participant SET code = ?, notes = ? WHERE id = ?')
      .run(input.code, input.notes, input.id)
    return this.getParticipant(input.id)
  }

  deleteParticipant(id: number): { deleted: number } {
    this.getParticipant(id)
    return { deleted: this.db.prepare('DELETE FROM participant WHERE id = ?').run(id).changes }
  }

  private streamsBySession(sessionIds: number[]): Map<number, StreamInfo[]> {
    const map = new Map<number, StreamInfo[]>()
    if (sessionIds.length === 0) return map
    const rows = this.db
      .prepare(`SELECT * FROM stream WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY id`)
      .all(JSON.stringify(sessionIds)) as StreamRow[]
    for (const row of rows) {
      const list = map.get(row.session_id) ?? []
      list.push(toStreamInfo(row))
      map.set(row.session_id, list)
    }
    return map
  }

  private toSessions(rows: SessionRow[]): Session[] {
    const streams = this.streamsBySession(rows.map((r) => r.id))
    return rows.map((row) => ({
      id: row.id,
      participantId: row.participant_id,
      participantCode: row.participant_code,
      name: row.name,
      startMs: row.start_ms,
      timezone: row.timezone,
      durationMs: row.duration_ms,
      notes: row.notes,
      source: row.source,
      alignmentOffsetMs: row.alignment_offset_ms,
      recording: row.recording_state ? { state: row.recording_state, message: row.recording_message } : null,
      streams: streams.get(row.id) ?? []
    }))
  }

  private static readonly sessionSelect = `SELECT s.*, p.code AS participant_code FROM session s JOIN participant p ON p.id = s.participant_id`

  listSessions(participantId?: number): Session[] {
    const rows = (
      participantId === undefined
        ? this.db.prepare(`${StudyStore.sessionSelect} ORDER BY p.code COLLATE NOCASE, s.start_ms`).all()
        : this.db
            .prepare(`${StudyStore.sessionSelect} WHERE s.participant_id = ? ORDER BY s.start_ms`)
            .all(participantId)
    ) as SessionRow[]
    return this.toSessions(rows)
  }

  getSession(id: number): Session {
    const row = this.db.prepare(`${StudyStore.sessionSelect} WHERE s.id = ?`).get(id) as
      SessionRow | undefined
    if (!row) throw new NotFoundError(`session ${id} does not exist`, 'id')
    return this.toSessions([row])[0]
  }

  createSession(input: SessionFields & { source?: string }): Session {
    this.getParticipant(input.participantId)
    const result = this.db
      .prepare(
        `INSERT INTO session (participant_id, name, start_ms, timezone, duration_ms, notes, source, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        input.participantId,
        input.name,
        input.startMs,
        input.timezone,
        input.durationMs,
        input.notes,
        input.source ?? 'manual',
        Date.now()
      )
    return this.getSession(Number(result.lastInsertRowid))
  }

  updateSession(input: SessionFields & { id: number }): Session {
    this.getSession(input.id)
    this.getParticipant(input.participantId)
    this.db
      .prepare(
        'UPDATE session SET participant_id = ?, name = ?, start_ms = ?, timezone = ?, duration_ms = ?, notes = ? WHERE id = ?'
      )
      .run(
        input.participantId,
        input.name,
        input.startMs,
        input.timezone,
        input.durationMs,
        input.notes,
        input.id
      )
    return this.getSession(input.id)
  }

  setAlignmentOffset(sessionId: number, offsetMs: number): Session {
    this.getSession(sessionId)
    this.db.prepare('UPDATE session SET alignment_offset_ms = ? WHERE id = ?').run(offsetMs, sessionId)
    return this.getSession(sessionId)
  }

  deleteSession(id: number): { deleted: number } {
    this.getSession(id)
    return { deleted: this.db.prepare('DELETE FROM session WHERE id = ?').run(id).changes }
  }
}
