import {
  BITALINO_CHANNELS,
  type BitalinoChannel,
  type BitalinoSensor,
  type BitalinoSettings
} from '../../ipc/contract/record'
import { ByteQueue, exactly } from '../byte-queue'
import {
  openDevicePort,
  type DeviceDescription,
  type DeviceEvent,
  type DeviceOptions,
  type DeviceSink,
  type DeviceStream,
  type SensorDevice
} from '../device'
import { DeviceProtocolError, DeviceTimeoutError, DisconnectedError } from '../errors'
import type { ByteTransport } from '../serial-transport'
import {
  BITALINO_STATE,
  BITALINO_STOP,
  BITALINO_VERSION,
  batteryThresholdVolts,
  batteryVolts,
  channelMask,
  parseBitalinoState,
  parseBitalinoVersion,
  samplingRateCommand,
  startLiveCommand,
  textLineLength,
  versionReplyLength,
  type BitalinoVersion
} from './commands'
import { BitalinoFrameDecoder, channelResolution } from './frame-decoder'
import { transferTable } from './transfer'

/** A version or state reply takes a few ms on a wire; a Bluetooth link wakes up well within this. */
const REPLY_TIMEOUT_MS = 1000
/**
 * The cpp API sleeps 150 ms before every command. The firmware handles each byte in its RX interrupt, so
 * commands need no spacing on a wire; only after a stop does waiting matter, for the frames in flight.
 */
const STOP_SETTLE_MS = 150

const STREAM_OF: Record<BitalinoSensor, { name: string; unit: string }> = {
  eda: { name: 'eda', unit: 'µS' },
  ecg: { name: 'ecg', unit: 'mV' },
  emg: { name: 'emg', unit: 'mV' },
  acc: { name: 'acc', unit: 'g' },
  ppg: { name: 'bvp', unit: 'raw' },
  raw: { name: 'raw', unit: 'ADC' }
}

/** One stream's channels: their positions in the frame and each position's conversion table. */
interface StreamPlan {
  stream: DeviceStream
  positions: number[]
  tables: Float32Array[]
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The line a wrong device sent, shortened and with control bytes shown, for the error message. */
function describeReply(bytes: Buffer): string {
  const text = bytes
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (char) => `\\x${char.charCodeAt(0).toString(16)}`)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}

/**
 * A BITalino (r)evolution (or a legacy BITalino) on a serial port or its Bluetooth SPP device: the sensors
 * named in the settings sit on analog channels A1 to A6, sampled at 1 to 1000 Hz and sent as CRC4 frames.
 */
export class BitalinoDevice implements SensorDevice {
  readonly protocol = 'bitalino'
  readonly path: string
  private readonly channels: BitalinoChannel[]
  private readonly plans: StreamPlan[]
  private readonly replyTimeoutMs: number
  private readonly queue: ByteQueue
  private transport: ByteTransport | null = null
  private gone: DisconnectedError | null = null
  private closed = false

  private sink: DeviceSink | null = null
  private decoder: BitalinoFrameDecoder | null = null
  /** Frames since start, the lost ones counted; -1 before the first. */
  private sampleIndex = -1
  private lastSequence = 0

  constructor(
    private readonly settings: BitalinoSettings,
    private readonly options: DeviceOptions = {}
  ) {
    this.path = settings.path
    this.channels = [...settings.channels].sort(
      (a, b) => BITALINO_CHANNELS.indexOf(a) - BITALINO_CHANNELS.indexOf(b)
    )
    this.replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS
    this.queue = new ByteQueue(this.path)
    this.plans = this.planStreams()
  }

  async open(): Promise<void> {
    if (this.transport) return
    this.transport = await openDevicePort(
      this.path,
      this.settings.baudRate,
      this.options,
      (chunk) => (this.decoder ? this.decode(chunk) : this.queue.push(chunk)),
      (error) => this.lost(error)
    )
    this.closed = false
  }

  async configure(): Promise<DeviceDescription> {
    // A device left streaming by an earlier session reads a version request as "set digital outputs".
    await this.write(BITALINO_STOP)
    await sleep(STOP_SETTLE_MS)
    this.queue.clear()

    const version = await this.askVersion()
    await this.write(samplingRateCommand(this.settings.rateHz))

    const info: Record<string, string | number> = {
      firmware: version.text,
      hardware: version.bitalino2 ? 'BITalino (r)evolution' : 'BITalino',
      channels: this.channels.join(','),
      rateHz: this.settings.rateHz
    }
    if (version.bitalino2) Object.assign(info, await this.readState(version.stateLength))
    return { streams: this.plans.map((plan) => plan.stream), info }
  }

  async start(sink: DeviceSink): Promise<void> {
    if (this.decoder) throw new Error(`${this.path}: the BITalino is already streaming`)
    this.queue.clear()
    this.decoder = new BitalinoFrameDecoder(this.channels.length)
    this.sampleIndex = -1
    this.sink = sink
    try {
      await this.write(startLiveCommand(channelMask(this.channels)))
    } catch (error) {
      this.decoder = null
      this.sink = null
      throw error
    }
  }

  async stop(): Promise<void> {
    if (!this.decoder) return
    this.decoder = null
    this.sink = null
    if (!this.transport?.isOpen) return
    try {
      await this.write(BITALINO_STOP)
      // As the cpp API does: the version reply comes after every frame already queued, so it marks the end.
      await this.write(BITALINO_VERSION)
      await this.queue.take('the version request after stop', this.replyTimeoutMs, versionReplyLength)
    } catch {
      // A device gone or silent after a stop has nothing more to say; the recorder learns of a disconnect anyway.
    }
    this.queue.clear()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Left streaming, the device would fill its buffer and flash its LED until someone stops it.
    await this.stop()
    const transport = this.transport
    this.transport = null
    this.queue.fail(new DisconnectedError(this.path, 'the device was closed'))
    await transport?.close()
  }

  private async write(command: number): Promise<void> {
    if (this.gone) throw this.gone
    if (!this.transport) throw new DisconnectedError(this.path, 'the port is not open')
    await this.transport.write(Uint8Array.of(command))
  }

  private async askVersion(): Promise<BitalinoVersion> {
    await this.write(BITALINO_VERSION)
    let reply: Buffer
    try {
      reply = await this.queue.take('the BITalino version request', this.replyTimeoutMs, (bytes) => {
        const version = versionReplyLength(bytes)
        return version >= 0 ? version : textLineLength(bytes)
      })
    } catch (error) {
      if (error instanceof DeviceTimeoutError && this.queue.length > 0)
        throw new DeviceProtocolError(
          this.path,
          `answered the version request with "${describeReply(this.queue.drain())}", not a BITalino version`
        )
      throw error
    }
    const version = parseBitalinoVersion(reply)
    if (!version)
      throw new DeviceProtocolError(
        this.path,
        `answered the version request with "${describeReply(reply)}", not a BITalino version`
      )
    return version
  }

  /** Battery and outputs for the user; a garbled reply costs only that information, never the recording. */
  private async readState(length: 16 | 17): Promise<Record<string, string | number>> {
    await this.write(BITALINO_STATE)
    let reply: Buffer
    try {
      reply = await this.queue.take('the BITalino state request', this.replyTimeoutMs, exactly(length))
    } catch (error) {
      if (!(error instanceof DeviceTimeoutError)) throw error
      // A firmware that sends the other length than its version suggests: 16 bytes where 17 were due.
      reply = this.queue.drain()
    }
    const state = parseBitalinoState(reply)
    if (!state) return { state: `unreadable (${reply.length} bytes where ${length} were due, or a bad CRC)` }
    const info: Record<string, string | number> = {
      batteryVolts: Math.round(batteryVolts(state.battery) * 100) / 100,
      batteryThresholdVolts: Math.round(batteryThresholdVolts(state.batteryThreshold) * 100) / 100
    }
    if (state.analogOutput !== null) info.analogOutput = state.analogOutput
    return info
  }

  /** Streams by sensor kind, in the order of their lowest channel; a channel nobody named is raw. */
  private planStreams(): StreamPlan[] {
    const plans = new Map<BitalinoSensor, StreamPlan>()
    this.channels.forEach((channel, position) => {
      const sensor = this.settings.sensors[channel] ?? 'raw'
      let plan = plans.get(sensor)
      if (!plan) {
        const { name, unit } = STREAM_OF[sensor]
        plan = {
          stream: { name, unit, rateHz: this.settings.rateHz, channels: [] },
          positions: [],
          tables: []
        }
        plans.set(sensor, plan)
      }
      plan.stream.channels.push(channel)
      plan.positions.push(position)
      plan.tables.push(transferTable(sensor, channelResolution(position)))
    })
    return [...plans.values()]
  }

  /** One chunk's frames become one batch of events: counts first, then gaps, then each stream's samples. */
  private decode(chunk: Buffer): void {
    const decoder = this.decoder
    const sink = this.sink
    if (!decoder || !sink) return
    const frames = decoder.push(chunk)
    const events: DeviceEvent[] = []
    if (frames.crcFailures > 0) events.push({ kind: 'error', cause: 'crc', count: frames.crcFailures })
    if (frames.skippedBytes > 0) events.push({ kind: 'error', cause: 'resync', count: frames.skippedBytes })

    const count = frames.count
    const msPerSample = 1000 / this.settings.rateHz
    const deviceMs = new Float64Array(count)
    for (let i = 0; i < count; i++) {
      const sequence = frames.sequence[i]
      if (this.sampleIndex < 0) this.sampleIndex = 0
      else {
        // The 4-bit counter: a repeated number can only mean 16 frames later.
        const step = ((sequence - this.lastSequence + 15) % 16) + 1
        if (step > 1)
          events.push({
            kind: 'gap',
            fromDeviceMs: this.sampleIndex * msPerSample,
            toDeviceMs: (this.sampleIndex + step) * msPerSample,
            missing: step - 1,
            cause: 'sequence'
          })
        this.sampleIndex += step
      }
      this.lastSequence = sequence
      deviceMs[i] = this.sampleIndex * msPerSample
    }

    if (count > 0) {
      const width = this.channels.length
      for (const plan of this.plans) {
        const channels = plan.positions.length
        const values = new Float32Array(count * channels)
        for (let c = 0; c < channels; c++) {
          const position = plan.positions[c]
          const table = plan.tables[c]
          for (let i = 0; i < count; i++)
            values[i * channels + c] = table[frames.analog[i * width + position]]
        }
        events.push({ kind: 'samples', stream: plan.stream.name, deviceMs: deviceMs.slice(), values })
      }
    }
    for (const event of events) sink(event)
  }

  private lost(error: DisconnectedError): void {
    this.gone = error
    this.queue.fail(error)
    const sink = this.sink
    this.decoder = null
    this.sink = null
    sink?.({ kind: 'disconnected', error })
  }
}
