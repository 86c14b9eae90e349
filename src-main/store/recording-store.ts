import type { DeviceSettings } from '../ipc/contract/record'
import type { Db } from './study-file'
import { currentOwner, ownerIsGone } from './process-owner'
import { SignalStore, type SignalData } from './signal-store'

export type RecordingState = 'recording' | 'complete' | 'interrupted' | 'failed'
export type GapCause = 'disconnected' | 'sequence' | 'timestamp' | 'stalled'

export interface RecordingPlan {
  participantId: number
  name: string
  startMs: number
  timezone: string
  devices: {
    settings: DeviceSettings
    info: Record<string, string | number>
    streams: { name: string; unit: string; rateHz: number; channels: string[] }[]
  }[]
}

export interface RecordingIds {
  sessionId: number
  deviceIds: number[]
  /** Per device, its streams' ids in the plan's order. */
  streamIds: number[][]
}

export interface GapRecord {
  streamId: number
  startMs: number
  endMs: number
  missing: number
  cause: GapCause
}

/** What one commit writes: every sample received since the last, and the counters as they stand. */
export interface RecordingCommit {
  samples: { streamId: number; data: SignalData }[]
  gaps: GapRecord[]
  streams: { streamId: number; measuredRateHz: number | null; driftPpm: number | null; lost: number }[]
  devices: {
    deviceId: number
    errors: Record<string, number>
    info: Record<string, string | number>
    reconnects: number
  }[]
  durationMs: number
}

/**
 * The study's side of a recording. The session row says whether it is still being recorded, and by which
 * process, so that a recording whose process died is found and marked interrupted on the next open; every
 * commit is one transaction, so what a crash leaves is exactly what was committed.
 */
export class RecordingStore {
  private readonly signals: SignalStore

  constructor(private readonly db: Db) {
    this.signals = new SignalStore(db)
  }

  begin(plan: RecordingPlan): RecordingIds {
    return this.db
      .transaction((): RecordingIds => {
        const owner = currentOwner()
        const now = Date.now()
        const session = this.db
          .prepare(
            `INSERT INTO session (participant_id, name, start_ms, timezone, duration_ms, notes, source, created_ms,
               recording_state, recording_owner_pid, recording_owner_host, recording_heartbeat_ms)
             VALUES (?, ?, ?, ?, 0, '', 'recording', ?, 'recording', ?, ?, ?)`
          )
          .run(
            plan.participantId,
            plan.name,
            Math.round(plan.startMs),
            plan.timezone,
            now,
            owner.pid,
            owner.host,
            now
          )
        const sessionId = Number(session.lastInsertRowid)
        const deviceIds: number[] = []
        const streamIds: number[][] = []
        const addDevice = this.db.prepare(
          'INSERT INTO recording_device (session_id, position, protocol, path, settings, info) VALUES (?, ?, ?, ?, ?, ?)'
        )
        const addStream = this.db.prepare(
          'INSERT INTO stream (session_id, name, unit, rate_hz, channels, device_id) VALUES (?, ?, ?, ?, ?, ?)'
        )
        plan.devices.forEach((device, position) => {
          const deviceId = Number(
            addDevice.run(
              sessionId,
              position,
              device.settings.protocol,
              device.settings.path,
              JSON.stringify(device.settings),
              JSON.stringify(device.info)
            ).lastInsertRowid
          )
          deviceIds.push(deviceId)
          streamIds.push(
            device.streams.map((stream) =>
              Number(
                addStream.run(
                  sessionId,
                  stream.name,
                  stream.unit,
                  stream.rateHz,
                  JSON.stringify(stream.channels),
                  deviceId
                ).lastInsertRowid
              )
            )
          )
        })
        return { sessionId, deviceIds, streamIds }
      })
      .immediate()
  }

  /** Writes one commit in one transaction; a failure (the disk is full) leaves the study as the last commit left it. */
  commit(sessionId: number, commit: RecordingCommit): void {
    this.db
      .transaction(() => {
        for (const { streamId, data } of commit.samples) this.signals.appendLive(streamId, data)
        const addGap = this.db.prepare(
          'INSERT INTO gap (stream_id, start_ms, end_ms, missing_samples, cause, created_ms) VALUES (?, ?, ?, ?, ?, ?)'
        )
        const now = Date.now()
        for (const gap of commit.gaps)
          addGap.run(gap.streamId, gap.startMs, gap.endMs, gap.missing, gap.cause, now)
        const streamStats = this.db.prepare(
          'UPDATE stream SET measured_rate_hz = ?, clock_drift_ppm = ?, lost_samples = ? WHERE id = ?'
        )
        for (const stream of commit.streams)
          streamStats.run(stream.measuredRateHz, stream.driftPpm, stream.lost, stream.streamId)
        const deviceStats = this.db.prepare(
          'UPDATE recording_device SET errors = ?, info = ?, reconnects = ? WHERE id = ?'
        )
        for (const device of commit.devices)
          deviceStats.run(
            JSON.stringify(device.errors),
            JSON.stringify(device.info),
            device.reconnects,
            device.deviceId
          )
        this.db
          .prepare('UPDATE session SET duration_ms = ?, recording_heartbeat_ms = ? WHERE id = ?')
          .run(Math.round(commit.durationMs), now, sessionId)
      })
      .immediate()
  }

  /** Ends a recording: complete when it was stopped, failed when something stopped it (with why). */
  finish(sessionId: number, state: 'complete' | 'failed', message: string | null): void {
    this.db
      .prepare(
        `UPDATE session SET recording_state = ?, recording_message = ?, recording_owner_pid = NULL,
           recording_owner_host = NULL WHERE id = ?`
      )
      .run(state, message, sessionId)
  }

  /**
   * Marks recordings whose process ended without finishing them (killed, crashed, power lost) as interrupted,
   * with their duration from the samples that were committed. Returns their session ids.
   */
  markInterrupted(): number[] {
    const open = this.db
      .prepare(
        "SELECT id, recording_owner_pid, recording_owner_host FROM session WHERE recording_state = 'recording'"
      )
      .all() as { id: number; recording_owner_pid: number | null; recording_owner_host: string | null }[]
    const gone = open.filter((row) => ownerIsGone(row.recording_owner_pid, row.recording_owner_host))
    const mark = this.db.prepare(
      `UPDATE session SET recording_state = 'interrupted',
         recording_message = 'the recording process ended before the recording was stopped; samples up to its last commit are kept',
         recording_owner_pid = NULL, recording_owner_host = NULL,
         duration_ms = coalesce((SELECT round(max(end_ms) - session.start_ms) FROM stream WHERE session_id = session.id), duration_ms)
       WHERE id = ?`
    )
    this.db.transaction(() => {
      for (const row of gone) mark.run(row.id)
    })()
    return gone.map((row) => row.id)
  }

  state(sessionId: number): { state: RecordingState | null; message: string | null } {
    const row = this.db
      .prepare('SELECT recording_state, recording_message FROM session WHERE id = ?')
      .get(sessionId) as
      { recording_state: RecordingState | null; recording_message: string | null } | undefined
    return { state: row?.recording_state ?? null, message: row?.recording_message ?? null }
  }

  gaps(sessionId: number): (GapRecord & { stream: string })[] {
    return (
      this.db
        .prepare(
          `SELECT g.stream_id, s.name, g.start_ms, g.end_ms, g.missing_samples, g.cause FROM gap g
           JOIN stream s ON s.id = g.stream_id WHERE s.session_id = ? ORDER BY g.start_ms, s.name`
        )
        .all(sessionId) as {
        stream_id: number
        name: string
        start_ms: number
        end_ms: number
        missing_samples: number
        cause: GapCause
      }[]
    ).map((row) => ({
      streamId: row.stream_id,
      stream: row.name,
      startMs: row.start_ms,
      endMs: row.end_ms,
      missing: row.missing_samples,
      cause: row.cause
    }))
  }

  devices(sessionId: number): {
    protocol: string
    path: string
    settings: unknown
    info: Record<string, string | number>
    errors: Record<string, number>
    reconnects: number
  }[] {
    return (
      this.db
        .prepare(
          'SELECT protocol, path, settings, info, errors, reconnects FROM recording_device WHERE session_id = ? ORDER BY position'
        )
        .all(sessionId) as {
        protocol: string
        path: string
        settings: string
        info: string
        errors: string
        reconnects: number
      }[]
    ).map((row) => ({
      protocol: row.protocol,
      path: row.path,
      settings: JSON.parse(row.settings) as unknown,
      info: JSON.parse(row.info) as Record<string, string | number>,
      errors: JSON.parse(row.errors) as Record<string, number>,
      reconnects: row.reconnects
    }))
  }
}
