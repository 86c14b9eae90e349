import type { DeviceEvent, DeviceStream, SensorDevice } from '../devices/device'
import type { DeviceFactory } from '../devices/create-device'
import { DisconnectedError } from '../devices/errors'
import type { LiveSource, SampleChunk, SourceStream } from '../devices/live-source'
import { systemClock, type LiveClock } from '../devices/clock'
import { EmohealError } from '../errors'
import type { DeviceSettings, DeviceState, RecordDeviceView, RecordStreamView } from '../ipc/contract/record'
import type {
  GapCause,
  GapRecord,
  RecordingCommit,
  RecordingIds,
  RecordingStore
} from '../store/recording-store'
import { diskFailure } from '../store/disk-errors'
import { DeviceClock } from './device-clock'

export interface RecorderOptions {
  store: RecordingStore
  devices: DeviceSettings[]
  createDevice: DeviceFactory
  clock?: LiveClock
  /** How often received samples are committed; the most a crash can lose. */
  commitIntervalMs?: number
  /** How often the live view is handed what arrived. */
  displayIntervalMs?: number
  /** How often an unplugged device is looked for again. */
  reconnectIntervalMs?: number
  /** No samples for this long shows a device as stalled; for STALL_RESTART_FACTOR times as long, it is reopened. */
  stallMs?: number
  /** Something changed that a status view shows (a device's state, a counter). */
  onChange?: () => void
  /** The recording stopped itself (the disk filled, the study went away): say why. */
  onFatal?: (message: string) => void
}

/** A stalled device is reopened after this many stall periods without a sample. */
const STALL_RESTART_FACTOR = 5
/** How many commit latencies are kept for the benchmark. */
const LATENCY_SAMPLES = 4096

interface StreamRun {
  spec: DeviceStream
  /** The name in the study: the device's own, or with the device's number where two devices share one. */
  name: string
  streamId: number
  channels: number
  pending: { times: Float64Array; values: Float32Array; arrivedMs: number }[]
  pendingCount: number
  stored: number
  lost: number
  gaps: number
  lastMs: number | null
  /** Set while the device is gone: the first sample after it closes the gap. */
  openGap: { cause: GapCause } | null
}

interface DeviceRun {
  index: number
  settings: DeviceSettings
  device: SensorDevice | null
  state: DeviceState
  message: string | null
  info: Record<string, string | number>
  streams: StreamRun[]
  errors: Record<string, number>
  lastError: string | null
  reconnects: number
  clock: DeviceClock | null
  lastSampleMs: number
  reconnecting: boolean
}

/**
 * Records one session from one or more devices into the study. Each device's samples are timed on its own
 * clock (DeviceClock), buffered, and committed in one transaction every commitIntervalMs, with the gaps
 * (sequence jumps, disconnections) as records of their own: nothing is interpolated. A device that goes
 * away is looked for again until it is back or the recording stops. The live view and live inference read
 * the same samples through `source`.
 */
export class Recorder {
  private readonly clock: LiveClock
  private runs: DeviceRun[] = []
  private ids: RecordingIds | null = null
  private startedMs = 0
  private timers: (() => void)[] = []
  private pendingGaps: GapRecord[] = []
  private display: SampleChunk[] = []
  private displayArrivals: number[] = []
  private displaySink: ((chunks: SampleChunk[]) => void) | null = null
  private stopping = false
  private stoppedMs: number | null = null
  private lastCommit: number | null = null
  /** Milliseconds from a batch's arrival to the commit that stored it, the latest LATENCY_SAMPLES. */
  readonly commitLatencies: number[] = []
  /** Milliseconds from a batch's arrival to its hand-over to the live view, the latest LATENCY_SAMPLES. */
  readonly displayLatencies: number[] = []

  /** What live inference and the live view read: every stream under its study name, every displayIntervalMs. */
  readonly source: LiveSource

  constructor(private readonly options: RecorderOptions) {
    this.clock = options.clock ?? systemClock
    const streams = (): SourceStream[] => this.streams
    this.source = {
      kind: 'recording',
      get streams() {
        return streams()
      },
      start: (sink) => {
        this.displaySink = sink
      },
      stop: () => {
        this.displaySink = null
      }
    }
  }

  /**
   * Opens and configures every device; any that fails closes them all and the error says which. Returns the
   * streams each will deliver, with the names they will have in the study.
   */
  async prepare(): Promise<
    { settings: DeviceSettings; info: Record<string, string | number>; streams: DeviceStream[] }[]
  > {
    const taken = new Set<string>()
    try {
      for (const [index, settings] of this.options.devices.entries()) {
        const device = this.options.createDevice(settings)
        const run: DeviceRun = {
          index,
          settings,
          device,
          state: 'connecting',
          message: null,
          info: {},
          streams: [],
          errors: {},
          lastError: null,
          reconnects: 0,
          clock: null,
          lastSampleMs: 0,
          reconnecting: false
        }
        this.runs.push(run)
        await device.open()
        const description = await device.configure()
        if (description.streams.length === 0)
          throw new EmohealError(`${settings.path}: the device has no streams with these settings`, 'devices')
        run.info = description.info
        run.streams = description.streams.map((spec) => {
          const name = taken.has(spec.name) ? `${spec.name}-${index + 1}` : spec.name
          taken.add(name)
          return {
            spec,
            name,
            streamId: 0,
            channels: spec.channels.length,
            pending: [],
            pendingCount: 0,
            stored: 0,
            lost: 0,
            gaps: 0,
            lastMs: null,
            openGap: null
          }
        })
      }
    } catch (error) {
      await this.closeAll()
      throw error
    }
    return this.runs.map((run) => ({
      settings: run.settings,
      info: run.info,
      streams: run.streams.map((stream) => ({ ...stream.spec, name: stream.name }))
    }))
  }

  /** The streams as `source` delivers them, once prepared. */
  get streams(): SourceStream[] {
    return this.runs.flatMap((run) =>
      run.streams.map((stream) => ({
        name: stream.name,
        unit: stream.spec.unit,
        rateHz: stream.spec.rateHz,
        channels: [...stream.spec.channels]
      }))
    )
  }

  /** Starts streaming into the session `begin` made (its ids, in prepare's order). */
  async start(ids: RecordingIds, startedMs: number): Promise<void> {
    this.ids = ids
    this.startedMs = startedMs
    for (const run of this.runs)
      run.streams.forEach((stream, s) => (stream.streamId = ids.streamIds[run.index][s]))
    this.timers.push(this.clock.every(this.options.commitIntervalMs ?? 500, () => this.commitSafely()))
    this.timers.push(this.clock.every(this.options.displayIntervalMs ?? 50, () => this.handOver()))
    this.timers.push(this.clock.every(250, () => this.watch()))
    try {
      for (const run of this.runs) await this.startStreaming(run, run.device!)
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  get sessionId(): number | null {
    return this.ids?.sessionId ?? null
  }

  get lastCommitMs(): number | null {
    return this.lastCommit
  }

  get elapsedMs(): number {
    return (this.stoppedMs ?? this.clock.now()) - this.startedMs
  }

  /**
   * Stops every device, commits what they sent and closes them. Idempotent. A commit that fails here
   * (the disk is full) throws after the devices are closed.
   */
  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    for (const cancel of this.timers) cancel()
    this.timers = []
    for (const run of this.runs) {
      const device = run.device
      if (device && run.state !== 'disconnected') await device.stop().catch(() => {})
    }
    await this.closeAll()
    for (const run of this.runs) if (run.state !== 'failed') run.state = 'stopped'
    this.stoppedMs = this.clock.now()
    this.handOver()
    if (this.ids) this.commit()
  }

  devices(): RecordDeviceView[] {
    return this.runs.map((run) => ({
      index: run.index,
      protocol: run.settings.protocol,
      path: run.settings.path,
      state: run.state,
      message: run.message,
      info: { ...run.info },
      streams: run.streams.map((stream): RecordStreamView => ({
        name: stream.name,
        unit: stream.spec.unit,
        channels: [...stream.spec.channels],
        nominalRateHz: stream.spec.rateHz,
        measuredRateHz: run.clock?.measuredRate(stream.spec.rateHz) ?? null,
        driftPpm: run.clock?.driftPpm ?? null,
        stored: stream.stored,
        pending: stream.pendingCount,
        lost: stream.lost,
        gaps: stream.gaps
      })),
      errors: { ...run.errors },
      lastError: run.lastError,
      reconnects: run.reconnects
    }))
  }

  private async startStreaming(run: DeviceRun, device: SensorDevice): Promise<void> {
    run.clock = null
    run.lastSampleMs = this.clock.now()
    await device.start((event) => this.receive(run, device, event))
    run.state = 'streaming'
    run.message = null
    this.options.onChange?.()
  }

  private receive(run: DeviceRun, device: SensorDevice, event: DeviceEvent): void {
    // Events of a device already replaced (late bytes after a disconnect) belong to nothing.
    if (run.device !== device || this.stopping) return
    const now = this.clock.now()
    switch (event.kind) {
      case 'samples': {
        const stream = run.streams.find((candidate) => candidate.spec.name === event.stream)
        if (!stream || event.deviceMs.length === 0) return
        run.clock ??= new DeviceClock()
        const times = run.clock.place(event.deviceMs, now)
        this.take(run, stream, times, event.values, now)
        run.lastSampleMs = now
        if (run.state === 'stalled') {
          run.state = 'streaming'
          run.message = null
          this.options.onChange?.()
        }
        return
      }
      case 'gap': {
        if (!run.clock?.anchored) return
        const startMs = run.clock.toHost(event.fromDeviceMs)
        const endMs = run.clock.toHost(event.toDeviceMs)
        for (const stream of run.streams) {
          if (event.stream !== undefined && stream.spec.name !== event.stream) continue
          this.addGap(stream, startMs, endMs, event.missing, event.cause)
        }
        return
      }
      case 'error':
        run.errors[event.cause] = (run.errors[event.cause] ?? 0) + event.count
        if (event.detail !== undefined) run.lastError = event.detail
        this.options.onChange?.()
        return
      case 'disconnected':
        this.lose(run, event.error, 'disconnected')
        return
    }
  }

  private take(
    run: DeviceRun,
    stream: StreamRun,
    times: Float64Array,
    values: Float32Array,
    now: number
  ): void {
    // Samples that do not move forward (a device restarting its counter) would break the stream's order.
    let from = 0
    while (from < times.length && stream.lastMs !== null && times[from] <= stream.lastMs) from++
    if (from > 0) {
      run.errors['out-of-order'] = (run.errors['out-of-order'] ?? 0) + from
      if (from === times.length) return
      times = times.subarray(from)
      values = values.subarray(from * stream.channels)
    }
    if (stream.openGap && stream.lastMs !== null) {
      const missing = Math.max(0, Math.round(((times[0] - stream.lastMs) * stream.spec.rateHz) / 1000) - 1)
      this.addGap(stream, stream.lastMs, times[0], missing, stream.openGap.cause)
    }
    stream.openGap = null
    // `times` is the clock's own new array; the values may live in a decoder's reused buffer, so they are copied.
    const copy = { times, values: Float32Array.from(values), arrivedMs: now }
    stream.pending.push(copy)
    stream.pendingCount += times.length
    stream.lastMs = times[times.length - 1]
    this.display.push({ stream: stream.name, times: copy.times, values: copy.values })
    this.displayArrivals.push(now)
  }

  private addGap(stream: StreamRun, startMs: number, endMs: number, missing: number, cause: GapCause): void {
    this.pendingGaps.push({
      streamId: stream.streamId,
      startMs,
      endMs: Math.max(startMs, endMs),
      missing,
      cause
    })
    stream.lost += missing
    stream.gaps++
    this.options.onChange?.()
  }

  /** The device is gone (unplugged, or silent for too long): close it, remember the gap, look for it again. */
  private lose(run: DeviceRun, error: DisconnectedError, cause: GapCause): void {
    const device = run.device
    run.device = null
    run.clock = null
    run.state = 'disconnected'
    run.message = error.message
    for (const stream of run.streams) stream.openGap = { cause }
    void device?.close().catch(() => {})
    this.options.onChange?.()
    this.scheduleReconnect(run)
  }

  private scheduleReconnect(run: DeviceRun): void {
    if (run.reconnecting || this.stopping) return
    run.reconnecting = true
    // One try at a time: opening and configuring a device can take longer than the interval.
    let attempt: Promise<void> | null = null
    const cancel = this.clock.every(this.options.reconnectIntervalMs ?? 1000, () => {
      if (attempt) return
      attempt = this.reconnect(run)
        .then((done) => {
          if (done || this.stopping) {
            cancel()
            run.reconnecting = false
          }
        })
        .finally(() => (attempt = null))
    })
    this.timers.push(cancel)
  }

  /** One try at reopening a lost device; true when it streams again (or can never). */
  private async reconnect(run: DeviceRun): Promise<boolean> {
    if (this.stopping) return true
    const device = this.options.createDevice(run.settings)
    try {
      await device.open()
      const description = await device.configure()
      const same =
        description.streams.length === run.streams.length &&
        description.streams.every(
          (spec, s) =>
            spec.name === run.streams[s].spec.name &&
            spec.channels.join('\u0000') === run.streams[s].spec.channels.join('\u0000') &&
            spec.rateHz === run.streams[s].spec.rateHz
        )
      if (!same) {
        await device.close()
        run.state = 'failed'
        run.message = `${run.settings.path} came back with other streams or rates than it was recording; not resumed`
        this.options.onChange?.()
        return true
      }
      if (this.stopping) {
        await device.close()
        return true
      }
      run.device = device
      run.info = { ...run.info, ...description.info }
      run.reconnects++
      await this.startStreaming(run, device)
      return true
    } catch (error) {
      if (run.device === device) run.device = null
      await device.close().catch(() => {})
      run.message = `reconnecting: ${(error as Error).message}`
      this.options.onChange?.()
      return false
    }
  }

  /** Marks silent devices as stalled, and reopens one that stays silent. */
  private watch(): void {
    const now = this.clock.now()
    const stallMs = this.options.stallMs ?? 2000
    for (const run of this.runs) {
      if (run.state !== 'streaming' && run.state !== 'stalled') continue
      const rate = Math.min(...run.streams.map((stream) => stream.spec.rateHz))
      const limit = Math.max(stallMs, 3000 / rate)
      const silent = now - run.lastSampleMs
      if (silent > limit * STALL_RESTART_FACTOR) {
        this.lose(
          run,
          new DisconnectedError(run.settings.path, `no samples for ${(silent / 1000).toFixed(0)} s`),
          'stalled'
        )
      } else if (silent > limit && run.state === 'streaming') {
        run.state = 'stalled'
        run.message = `no samples for ${(silent / 1000).toFixed(1)} s`
        this.options.onChange?.()
      }
    }
  }

  private handOver(): void {
    if (this.display.length === 0) return
    const chunks = this.display
    const arrivals = this.displayArrivals
    this.display = []
    this.displayArrivals = []
    this.displaySink?.(chunks)
    const now = this.clock.now()
    for (const arrived of arrivals) this.displayLatencies.push(now - arrived)
    keepLatest(this.displayLatencies)
  }

  private commitSafely(): void {
    try {
      this.commit()
    } catch (error) {
      this.options.onFatal?.(describeWriteFailure(error))
    }
  }

  /** Writes what arrived since the last commit in one transaction. Throws what SQLite threw. */
  private commit(): void {
    if (!this.ids) return
    const commit: RecordingCommit = {
      samples: [],
      gaps: this.pendingGaps,
      streams: [],
      devices: [],
      durationMs: this.elapsedMs
    }
    const arrivals: number[] = []
    for (const run of this.runs) {
      for (const stream of run.streams) {
        if (stream.pendingCount > 0) {
          const times = new Float64Array(stream.pendingCount)
          const values = new Float32Array(stream.pendingCount * stream.channels)
          let at = 0
          for (const part of stream.pending) {
            times.set(part.times, at)
            values.set(part.values, at * stream.channels)
            at += part.times.length
            arrivals.push(part.arrivedMs)
          }
          commit.samples.push({
            streamId: stream.streamId,
            data: { times, samples: values, channelCount: stream.channels }
          })
        }
        commit.streams.push({
          streamId: stream.streamId,
          measuredRateHz: run.clock?.measuredRate(stream.spec.rateHz) ?? null,
          driftPpm: run.clock?.driftPpm ?? null,
          lost: stream.lost
        })
      }
      commit.devices.push({
        deviceId: this.ids.deviceIds[run.index],
        errors: run.errors,
        info: run.info,
        reconnects: run.reconnects
      })
    }
    this.options.store.commit(this.ids.sessionId, commit)
    const now = this.clock.now()
    this.lastCommit = now
    this.pendingGaps = []
    for (const run of this.runs)
      for (const stream of run.streams) {
        stream.stored += stream.pendingCount
        stream.pending = []
        stream.pendingCount = 0
      }
    for (const arrived of arrivals) this.commitLatencies.push(now - arrived)
    keepLatest(this.commitLatencies)
  }

  private async closeAll(): Promise<void> {
    await Promise.all(this.runs.map((run) => run.device?.close().catch(() => {})))
  }
}

function keepLatest(latencies: number[]): void {
  if (latencies.length > LATENCY_SAMPLES) latencies.splice(0, latencies.length - LATENCY_SAMPLES)
}

/** A failed commit in words a user can act on; SQLite's own code names the cause. */
export function describeWriteFailure(error: unknown): string {
  const disk = diskFailure(error)
  const detail = (error as Error).message
  if (disk)
    return `${disk.reason} (${detail}): recording stopped; everything up to the last commit is saved and readable`
  return `samples could not be stored (${detail}): recording stopped; everything up to the last commit is saved`
}
