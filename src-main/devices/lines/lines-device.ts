import type { LinesSettings } from '../../ipc/contract/record'
import {
  openDevicePort,
  type DeviceDescription,
  type DeviceOptions,
  type DeviceSink,
  type SensorDevice
} from '../device'
import { DeviceProtocolError, DeviceTimeoutError, DisconnectedError } from '../errors'
import type { ByteTransport } from '../serial-transport'
import { LineDecoder, type DecodedLines, type LineChannels } from './line-decoder'

/** How long configure waits for lines before blaming the port or the baud rate. */
const DEFAULT_DATA_TIMEOUT_MS = 3000
/** The data forwarder counts lines over one second. */
const RATE_WINDOW_MS = 1000
/** The data forwarder's floor: under two lines in the window there is no interval to measure. */
const MIN_MEASURED_LINES = 2
/** LinesSettings.rateHz's range. */
const MIN_RATE_HZ = 0.1
const MAX_RATE_HZ = 10_000

interface Watcher {
  chunk: (decoded: DecodedLines, atMs: number) => void
  fail: (error: Error) => void
}

/**
 * A measured rate to three significant figures: a one-second count is good to about a line in a thousand
 * at best, so more digits would be noise. The recorder measures the true rate against the host clock.
 */
function roundRate(hz: number): number {
  return Math.min(MAX_RATE_HZ, Math.max(MIN_RATE_HZ, Number(hz.toPrecision(3))))
}

/**
 * A sensor that prints one sample a line over serial: Arduino Serial Plotter and Edge Impulse data forwarder
 * sketches (see line-decoder.ts for the format). The lines carry no clock, so sample i of a start() is at
 * i * 1000 / rateHz device milliseconds; the recorder measures the drift against the host. There is nothing
 * to send: configure listens to learn the channels and, when no rate is stated, measures it.
 */
export class LinesDevice implements SensorDevice {
  readonly protocol = 'lines'
  private readonly decoder: LineDecoder
  private readonly dataTimeoutMs: number
  private transport: ByteTransport | null = null
  private gone: DisconnectedError | null = null
  private watcher: Watcher | null = null
  private sink: DeviceSink | null = null
  private rateHz: number | null = null
  private lineIndex = 0
  private bytesReceived = 0
  /** When the last chunk with data lines arrived (performance.now()); the rate window starts there. */
  private lastDataAtMs: number | null = null

  constructor(
    private readonly settings: LinesSettings,
    private readonly options: DeviceOptions = {}
  ) {
    this.decoder = new LineDecoder({ channels: settings.channels })
    this.dataTimeoutMs = options.replyTimeoutMs ?? DEFAULT_DATA_TIMEOUT_MS
  }

  get path(): string {
    return this.settings.path
  }

  async open(): Promise<void> {
    if (this.transport) return
    this.transport = await openDevicePort(
      this.path,
      this.settings.baudRate,
      this.options,
      (chunk) => this.received(chunk),
      (error) => this.lost(error)
    )
  }

  /**
   * Learns the channels from the first data lines and measures the rate over a second when none is stated.
   * Lines that arrive before start() are decoded (names, counts) but not kept: a stream's samples begin at
   * its start(), where the recorder anchors the device clock.
   */
  async configure(): Promise<DeviceDescription> {
    this.usable()
    this.sink = null
    const channels = this.decoder.channels ?? (await this.learnChannels())
    const given = this.settings.channels
    if (given && channels.naming === 'numbered')
      throw new DeviceProtocolError(
        this.path,
        `the lines carry ${channels.names.length} values, but ${given.length} channel names were given (${given.join(', ')})`
      )
    const measuredHz = this.settings.rateHz === undefined ? await this.measureRate() : null
    this.rateHz = this.settings.rateHz ?? roundRate(measuredHz!)
    const info: Record<string, string | number> = {
      channelsFrom: channels.naming,
      rate: measuredHz === null ? 'stated' : 'measured'
    }
    if (measuredHz !== null) info.measuredRateHz = Number(measuredHz.toFixed(2))
    const rejected = Object.values(this.decoder.totals).reduce((sum, count) => sum + count, 0)
    if (rejected) info.linesRejected = rejected
    if (this.decoder.lastRejected) info.lastRejected = this.decoder.lastRejected
    return {
      streams: [
        {
          name: this.settings.stream,
          unit: this.settings.unit,
          rateHz: this.rateHz,
          channels: [...channels.names]
        }
      ],
      info
    }
  }

  async start(sink: DeviceSink): Promise<void> {
    this.usable()
    if (this.rateHz === null) throw new Error(`${this.path}: configure() the line device before start()`)
    this.lineIndex = 0
    this.sink = sink
  }

  /** Nothing to tell the device: the lines keep coming and are no longer listened to. */
  async stop(): Promise<void> {
    this.sink = null
  }

  async close(): Promise<void> {
    this.sink = null
    this.fail(new DisconnectedError(this.path, 'the device was closed'))
    const transport = this.transport
    this.transport = null
    await transport?.close()
  }

  private usable(): void {
    if (this.gone) throw this.gone
    if (!this.transport) throw new Error(`${this.path}: open() the line device first`)
  }

  private received(chunk: Buffer): void {
    this.bytesReceived += chunk.length
    const decoded = this.decoder.push(chunk)
    const atMs = performance.now()
    if (decoded.lines) this.lastDataAtMs = atMs
    if (this.sink) this.emit(this.sink, decoded)
    else this.watcher?.chunk(decoded, atMs)
  }

  /** One samples event per chunk, then one error event per cause in it. */
  private emit(sink: DeviceSink, decoded: DecodedLines): void {
    if (decoded.lines) {
      const deviceMs = new Float64Array(decoded.lines)
      for (let i = 0; i < decoded.lines; i++) deviceMs[i] = ((this.lineIndex + i) * 1000) / this.rateHz!
      this.lineIndex += decoded.lines
      sink({
        kind: 'samples',
        stream: this.settings.stream,
        deviceMs,
        values: Float32Array.from(decoded.values)
      })
    }
    for (const { cause, count, detail } of decoded.errors) sink({ kind: 'error', cause, count, detail })
  }

  private lost(error: DisconnectedError): void {
    this.gone = error
    this.transport = null
    this.fail(error)
    const sink = this.sink
    this.sink = null
    sink?.({ kind: 'disconnected', error })
  }

  private fail(error: Error): void {
    const watcher = this.watcher
    this.watcher = null
    watcher?.fail(error)
  }

  /**
   * Hands each decoded chunk to `step` until it returns a result, or until timeoutMs, when `timedOut` gives
   * the result or the error; a disconnect or close() rejects.
   */
  private watch<T>(
    timeoutMs: number,
    step: (decoded: DecodedLines, atMs: number) => T | undefined,
    timedOut: () => T | Error
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const watcher: Watcher = {
        chunk: (decoded, atMs) => {
          const result = step(decoded, atMs)
          if (result === undefined) return
          this.watcher = null
          clearTimeout(timer)
          resolve(result)
        },
        fail: (error) => {
          clearTimeout(timer)
          reject(error)
        }
      }
      const timer = setTimeout(() => {
        if (this.watcher === watcher) this.watcher = null
        const outcome = timedOut()
        if (outcome instanceof Error) reject(outcome)
        else resolve(outcome)
      }, timeoutMs)
      this.watcher = watcher
    })
  }

  private learnChannels(): Promise<LineChannels> {
    const rateHz = this.settings.rateHz
    // Two lines are needed (the first may be cut), so a slow stated rate earns a longer wait.
    const waitMs = Math.max(this.dataTimeoutMs, rateHz ? Math.ceil(5000 / rateHz) : 0)
    return this.watch<LineChannels>(
      waitMs,
      () => this.decoder.channels ?? undefined,
      () => this.silence(waitMs)
    )
  }

  /** Why no data line came: nothing at all, no line ends, a single (possibly cut) line, or only rejects. */
  private silence(waitMs: number): Error {
    const path = this.path
    if (this.bytesReceived === 0) return new DeviceTimeoutError(path, 'lines of data', waitMs)
    const seen = this.decoder.linesSeen
    if (seen === 0)
      return new DeviceProtocolError(
        path,
        `${this.bytesReceived} bytes but no line end in ${waitMs} ms (is the baud rate right?)`
      )
    if (seen === 1)
      return new DeviceProtocolError(
        path,
        `one line in ${waitMs} ms: the first line after opening may be cut and is not used, so the device ` +
          'must send at least two; for a slower device state its rate (rateHz, --rate)'
      )
    return new DeviceProtocolError(
      path,
      `${seen} lines in ${waitMs} ms but none of numbers (the last: ${this.decoder.lastLine}); ` +
        'is the baud rate right?'
    )
  }

  /**
   * Lines a second, the data forwarder's way (count the lines of one second), timed between chunk arrivals:
   * from the chunk that brought the last data to the last chunk inside the window, counting the lines after
   * the first. Lines come in batches, so counting against the window's length would be off by a batch.
   */
  private measureRate(): Promise<number> {
    const recent = this.lastDataAtMs !== null && performance.now() - this.lastDataAtMs < RATE_WINDOW_MS / 10
    let firstMs = recent ? this.lastDataAtMs! : null
    let lastMs = 0
    let counted = 0
    return this.watch<number>(
      RATE_WINDOW_MS,
      (decoded, atMs) => {
        if (!decoded.lines) return undefined
        if (firstMs === null) firstMs = atMs
        else {
          counted += decoded.lines
          lastMs = atMs
        }
        return undefined
      },
      () =>
        firstMs !== null && counted >= MIN_MEASURED_LINES && lastMs > firstMs
          ? (counted * 1000) / (lastMs - firstMs)
          : new DeviceProtocolError(
              this.path,
              `only ${counted} lines of data in ${RATE_WINDOW_MS} ms: a rate under ${MIN_MEASURED_LINES} lines a ` +
                'second cannot be measured; state it (rateHz, --rate)'
            )
    )
  }
}
