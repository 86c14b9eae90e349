import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { SIMULATOR_STREAMS } from '../../src-main/devices/simulator'
import { LiveService } from '../../src-main/engine/live/live-service'
import type { EventName, Events, RecordStatusView } from '../../src-main/ipc/contract'
import { RecordingService } from '../../src-main/recording/recording-service'
import { RecordingStore } from '../../src-main/store/recording-store'
import { LIVE_CHUNK_MS, SignalStore } from '../../src-main/store/signal-store'
import { tempDir } from '../e2e/harness'
import { ManualClock } from '../live/manual-clock'

const t0 = Date.UTC(2026, 11, 1, 9, 0, 0)

interface Rig {
  path: string
  clock: ManualClock
  context: AppContext
  service: RecordingService
  participantId: number
  states: RecordStatusView[]
  samples: Events['live.samples'][]
}

const open: AppContext[] = []
afterEach(() => {
  while (open.length) open.pop()!.close()
})

function rig(): Rig {
  const path = join(tempDir('emoheal-recording-'), 'study.emoheal-study')
  const clock = new ManualClock(t0)
  const context = new AppContext({ defaultStudyPath: path, transport: 'cli', version: 'test' })
  open.push(context)
  context.openStudy(path, true, 'Recording test')
  const participantId = context.study().createParticipant({ code: 'P07', notes: '' }).id
  const states: RecordStatusView[] = []
  const samples: Events['live.samples'][] = []
  context.onEvent(<N extends EventName>(name: N, payload: Events[N]) => {
    if (name === 'record.state') states.push(payload as RecordStatusView)
    if (name === 'live.samples') samples.push(payload as Events['live.samples'])
  })
  const live = new LiveService({ emit: (name, payload) => context.emit(name, payload), clock })
  const service = new RecordingService({ context, live, clock })
  return { path, clock, context, service, participantId, states, samples }
}

/** Reads the file through its own connection, as another process would see it. */
function readBack(path: string) {
  const db = new Database(path, { readonly: true })
  try {
    const signals = new SignalStore(db)
    const streams = db.prepare('SELECT id, name, rate_hz, sample_count FROM stream ORDER BY id').all() as {
      id: number
      name: string
      rate_hz: number
      sample_count: number
    }[]
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      session: db.prepare('SELECT * FROM session').get() as Record<string, unknown>,
      streams: streams.map((stream) => ({ ...stream, data: signals.read(stream.id) })),
      chunks: (db.prepare('SELECT count(*) AS n FROM chunk').get() as { n: number }).n,
      markers: db.prepare('SELECT time_ms, label, source FROM marker ORDER BY time_ms').all() as {
        time_ms: number
        label: string
        source: string
      }[]
    }
  } finally {
    db.close()
  }
}

describe('recording service', () => {
  it('records every simulator sample into the study, with markers, and marks the session complete', async () => {
    const { path, clock, service, participantId, states, samples } = rig()
    const started = await service.start({
      participantId,
      sessionName: 'Baseline',
      devices: [{ protocol: 'simulator', path: 'simulator', seed: 5 }],
      modelId: null
    })
    expect(started).toMatchObject({ recording: true, participantCode: 'P07', model: null, markers: 0 })
    expect(started.devices[0]).toMatchObject({ protocol: 'simulator', state: 'streaming' })
    expect(started.devices[0].streams.map((stream) => stream.name)).toEqual(
      SIMULATOR_STREAMS.map((s) => s.name)
    )
    clock.advance(3000)
    const hotkey = service.marker(started.markerPresets[2])
    expect(hotkey).toMatchObject({ label: 'stimulus start', timeMs: t0 + 3000 })
    clock.advance(4000)
    service.marker('participant coughed', t0 + 6500)
    clock.advance(3000)
    const stopped = await service.stop()
    expect(stopped.recording).toBe(false)
    expect(states.some((state) => state.recording && state.devices[0].streams[0].stored > 0)).toBe(true)
    // The live view gets decimated batches about every 50 ms, never a message per sample.
    expect(samples.length).toBeGreaterThan(150)
    expect(samples.length).toBeLessThan(260)

    const back = readBack(path)
    expect(back.integrity).toBe('ok')
    expect(back.session).toMatchObject({ name: 'Baseline', source: 'recording', recording_state: 'complete' })
    expect(back.session.duration_ms).toBe(10_000)
    for (const stream of back.streams) {
      const nominal = SIMULATOR_STREAMS.find((candidate) => candidate.name === stream.name)!.rateHz
      const times = stream.data.times
      // Ten seconds at the nominal rate, the first sample at the start (the simulator's clock is the host's).
      expect(Math.abs(times.length - 10 * nominal)).toBeLessThanOrEqual(2)
      expect(stream.sample_count).toBe(times.length)
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeCloseTo(1000 / nominal, 6)
      expect(Array.from(stream.data.samples).every(Number.isFinite)).toBe(true)
    }
    // Commits every 500 ms (20 of them) grow each stream's last chunk instead of adding one per commit.
    expect(back.chunks).toBeLessThanOrEqual(5 * (10_000 / LIVE_CHUNK_MS + 1))
    expect(back.markers).toEqual([
      { time_ms: t0 + 3000, label: 'stimulus start', source: 'recording' },
      { time_ms: t0 + 6500, label: 'participant coughed', source: 'recording' }
    ])
  })

  it('commits what arrived at least once a second, readable by another connection while it records', async () => {
    const { path, clock, service, participantId } = rig()
    await service.start({
      participantId,
      devices: [{ protocol: 'simulator', path: 'simulator' }],
      modelId: null
    })
    for (let second = 1; second <= 4; second++) {
      clock.advance(1000)
      const now = t0 + second * 1000
      const back = readBack(path)
      const bvp = back.streams.find((stream) => stream.name === 'bvp')!
      expect(bvp.data.times[bvp.data.times.length - 1]).toBeGreaterThanOrEqual(now - 1000)
      expect(back.session.recording_state).toBe('recording')
      expect(back.session.recording_owner_pid).toBe(process.pid)
    }
    await service.stop()
  })

  it('refuses to open another study while recording', async () => {
    const { context, service, participantId } = rig()
    await service.start({
      participantId,
      devices: [{ protocol: 'simulator', path: 'simulator' }],
      modelId: null
    })
    expect(() => context.openStudy(join(tempDir('emoheal-recording-'), 'other.emoheal-study'), true)).toThrow(
      /a recording is running/
    )
    await service.stop()
  })

  it('stops with a clear message when the disk fills, and what was committed stays readable', async () => {
    const { path, clock, context, service, participantId } = rig()
    await service.start({
      participantId,
      devices: [{ protocol: 'simulator', path: 'simulator' }],
      modelId: null
    })
    clock.advance(2000)
    const before = readBack(path).streams.map((stream) => stream.data.times.length)
    expect(before.every((count) => count > 0)).toBe(true)
    // SQLite's own limit on the file's pages gives the same SQLITE_FULL as a full disk.
    const db = context.study().db
    const pages = db.pragma('page_count', { simple: true }) as number
    db.pragma(`max_page_count = ${pages}`)
    clock.advance(6000)
    await expect.poll(() => service.status().recording).toBe(false)
    const status = service.status()
    expect(status.stoppedBecause).toMatch(/disk is full.*recording stopped.*saved/)
    db.pragma('max_page_count = 4294967294')
    const back = readBack(path)
    expect(back.integrity).toBe('ok')
    const after = back.streams.map((stream) => stream.data.times.length)
    after.forEach((count, s) => expect(count).toBeGreaterThanOrEqual(before[s]))
    expect(back.session.recording_state).toBe('failed')
    expect(String(back.session.recording_message)).toMatch(/disk is full/)
  })

  it('stops with a clear message when a real file system fills (a small tmpfs), and the study stays readable', async (test) => {
    const mountPoint = tempDir('emoheal-full-disk-')
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', mountPoint], {
      encoding: 'utf8'
    })
    if (mounted.status !== 0) {
      console.warn(
        `skipping the full-disk test: cannot mount a tmpfs here (${mounted.stderr.trim() || mounted.error})`
      )
      test.skip()
      return
    }
    try {
      const path = join(mountPoint, 'study.emoheal-study')
      const clock = new ManualClock(t0)
      const context = new AppContext({ defaultStudyPath: path, transport: 'cli', version: 'test' })
      context.openStudy(path, true, 'Full disk')
      const participantId = context.study().createParticipant({ code: 'P09', notes: '' }).id
      const live = new LiveService({ emit: (name, payload) => context.emit(name, payload), clock })
      const service = new RecordingService({ context, live, clock })
      await service.start({
        participantId,
        devices: [{ protocol: 'simulator', path: 'simulator' }],
        modelId: null
      })
      for (let minute = 0; minute < 30 && service.status().recording; minute++) {
        clock.advance(60_000)
        await new Promise((resolve) => setImmediate(resolve))
      }
      await expect.poll(() => service.status().recording).toBe(false)
      expect(service.status().stoppedBecause).toMatch(/disk is full/)
      // It recorded for a while before the file system filled.
      expect(service.status().devices[0].streams[0].stored).toBeGreaterThan(5 * 64)
      context.close()
      const back = readBack(path)
      expect(back.integrity).toBe('ok')
      expect(back.streams.every((stream) => stream.data.times.length > 0)).toBe(true)
      expect(back.streams.every((stream) => stream.data.times.length === stream.sample_count)).toBe(true)
    } finally {
      spawnSync('umount', [mountPoint])
    }
  })

  it('marks a recording whose process is gone as interrupted on the next open', () => {
    const { path, context, participantId } = rig()
    const store = new RecordingStore(context.study().db)
    const ids = store.begin({
      participantId,
      name: 'Killed',
      startMs: t0,
      timezone: 'UTC',
      devices: [
        {
          settings: { protocol: 'simulator', path: 'simulator' },
          info: {},
          streams: [{ name: 'eda', unit: 'µS', rateHz: 4, channels: ['eda'] }]
        }
      ]
    })
    store.commit(ids.sessionId, {
      samples: [
        {
          streamId: ids.streamIds[0][0],
          data: {
            times: Float64Array.from([t0, t0 + 250, t0 + 500]),
            samples: Float32Array.from([1, 2, 3]),
            channelCount: 1
          }
        }
      ],
      gaps: [],
      streams: [],
      devices: [],
      durationMs: 400
    })
    // A process id that cannot be alive: the largest pid Linux allows is below 2^22.
    context
      .study()
      .db.prepare('UPDATE session SET recording_owner_pid = ? WHERE id = ?')
      .run(2 ** 22 + 7, ids.sessionId)
    context.close()
    const reopened = new AppContext({ defaultStudyPath: path, transport: 'cli', version: 'test' })
    open.push(reopened)
    reopened.openStudy(path)
    expect(new RecordingStore(reopened.study().db).state(ids.sessionId)).toEqual({
      state: 'interrupted',
      message: expect.stringMatching(/ended before the recording was stopped/)
    })
    expect(reopened.study().getSession(ids.sessionId).durationMs).toBe(500)
  })
})
