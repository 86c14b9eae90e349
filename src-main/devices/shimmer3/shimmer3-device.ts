import { ValidationError } from '../../errors'
import type { Shimmer3Settings } from '../../ipc/contract/record'
import { ByteQueue } from '../byte-queue'
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
  CHANNEL,
  checkHardwareVersion,
  FIRMWARE,
  hex,
  inquiryPayloadLength,
  parseInquiry,
  SENSOR_BITS,
  sensorBitmapBytes,
  type Inquiry
} from './channels'
import {
  AccelConverter,
  batteryMillivolts,
  GSR_AUTO_RANGE,
  GSR_FEEDBACK_KOHM,
  gsrMicrosiemens,
  ppgMillivolts,
  rateForTicks,
  ticksForRate,
  ticksToMs,
  TimestampUnwrapper,
  type TimestampVerdict
} from './conversion'
import {
  ACK,
  INSTREAM,
  INSTREAM_BATTERY,
  instreamPayloadLength,
  NACK,
  PacketDecoder,
  type DecodedChunk
} from './packet-decoder'

const COMMAND = {
  inquiry: [0x01, 'INQUIRY'],
  getSamplingRate: [0x03, 'GET_SAMPLING_RATE'],
  setSamplingRate: [0x05, 'SET_SAMPLING_RATE'],
  startStreaming: [0x07, 'START_STREAMING'],
  setSensors: [0x08, 'SET_SENSORS'],
  stopStreaming: [0x20, 'STOP_STREAMING'],
  setGsrRange: [0x21, 'SET_GSR_RANGE'],
  getFirmwareVersion: [0x2e, 'GET_FW_VERSION'],
  getShimmerVersion: [0x3f, 'GET_SHIMMER_VERSION'],
  setInternalExpansionPower: [0x5e, 'SET_INTERNAL_EXP_POWER'],
  getBattery: [0x95, 'GET_VBATT'],
  setInstreamAckPrefix: [0xa3, 'SET_INSTREAM_ACK_PREFIX']
} as const satisfies Record<string, readonly [number, string]>
type Command = (typeof COMMAND)[keyof typeof COMMAND]

/** The Java API's ACK timeout while not streaming. */
const DEFAULT_REPLY_TIMEOUT_MS = 5000
/** The dummy command's reply is only awaited this long: it is there to flush, not to check. */
const FLUSH_WAIT_MS = 500
/** Bytes still arriving this long after the flush mean a stream left running by an earlier session. */
const QUIET_MS = 100
/** The STOP ACK is lost on LogAndStream < 0.15.4 (shimmer3-firmware#7), so stop() waits only this long. */
const STOP_WAIT_MS = 1000
/** GET_VBATT is only informative; firmware without it must not hold configure up for long. */
const BATTERY_WAIT_MS = 1000

const FIRMWARE_NAMES: Record<number, string> = { 1: 'BtStream', 2: 'SDLog', 3: 'LogAndStream' }

interface FirmwareVersion {
  id: number
  major: number
  minor: number
  internal: number
}

function versionCode(firmware: FirmwareVersion): number {
  return firmware.major * 65536 + firmware.minor * 256 + firmware.internal
}

/** 2-byte timestamps before BtStream 0.7.3 and LogAndStream 0.5.4 (JavaAPI updateTimestampByteLength). */
function timestampBytes(firmware: FirmwareVersion): 2 | 3 {
  const code = versionCode(firmware)
  if (firmware.id === FIRMWARE.btStream && code < 0x000703) return 2
  if (firmware.id === FIRMWARE.logAndStream && code < 0x000504) return 2
  return 3
}

/** `A3 xx` exists from LogAndStream 0.15.4 on. */
function supportsInstreamPrefixSwitch(firmware: FirmwareVersion): boolean {
  return firmware.id === FIRMWARE.logAndStream && versionCode(firmware) >= 0x000f04
}

interface ReplySpec {
  /** After the ACK, a response id and the length of its payload (-1 while the payload so far does not tell). */
  response?: { id: number; length: (payload: Uint8Array) => number }
  /** Or an in-stream response, `FF 8A <id> <payload>`. */
  instream?: number
}

type Reply =
  | { kind: 'ack' }
  | { kind: 'nack' }
  | { kind: 'response'; payload: Buffer }
  | { kind: 'unexpected'; byte: number }

interface ReplyScan {
  /** Where the reply begins: bytes before it are junk the device sent first. */
  start: number
  end: number
  reply: Reply
}

/**
 * Finds the reply to a command in what the device sent, or null while it is incomplete. Unsolicited
 * `FF 8A 71 <status>` (and `8A 71 ..` with the prefix off) can come at any time and are skipped, so that their
 * 0xFF is not taken for the ACK; so are stray ACKs before a GET's `FF <id>` and junk before the reply.
 */
function scanReply(bytes: Buffer, spec: ReplySpec): ReplyScan | null {
  let at = 0
  while (at < bytes.length) {
    const byte = bytes[at]
    if (byte === NACK) return { start: at, end: at + 1, reply: { kind: 'nack' } }
    const prefixed = byte === ACK && bytes[at + 1] === INSTREAM
    if (byte === INSTREAM || prefixed) {
      const idAt = prefixed ? at + 2 : at + 1
      if (idAt >= bytes.length) return null
      const length = instreamPayloadLength(bytes, idAt)
      if (length !== null) {
        if (length < 0 || idAt + 1 + length > bytes.length) return null
        const end = idAt + 1 + length
        if (prefixed && bytes[idAt] === spec.instream)
          return { start: at, end, reply: { kind: 'response', payload: bytes.subarray(idAt + 1, end) } }
        at = end
        continue
      }
      if (!prefixed) {
        at++
        continue
      }
    }
    if (byte === ACK) {
      if (!spec.response && spec.instream === undefined)
        return { start: at, end: at + 1, reply: { kind: 'ack' } }
      if (at + 1 >= bytes.length) return null
      const next = bytes[at + 1]
      if (next === ACK || next === NACK) {
        at++
        continue
      }
      if (spec.response && next === spec.response.id) {
        const payload = bytes.subarray(at + 2)
        const length = spec.response.length(payload)
        if (length < 0 || payload.length < length) return null
        return {
          start: at,
          end: at + 2 + length,
          reply: { kind: 'response', payload: payload.subarray(0, length) }
        }
      }
      return { start: at, end: at + 2, reply: { kind: 'unexpected', byte: next } }
    }
    at++
  }
  return null
}

function fixed(length: number): (payload: Uint8Array) => number {
  return () => length
}

function describe([code, name]: Command): string {
  return `${name} (0x${hex(code)})`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Where the streamed channels sit in a packet, and how to read them. */
interface StreamLayout {
  inquiry: Inquiry
  timestampBytes: 2 | 3
  instreamPrefix: boolean
  gsr: number
  ppg: number
  accel: [number, number, number] | null
}

/**
 * A Shimmer3 GSR+ over Bluetooth SPP (LogAndStream or BtStream firmware): GSR as `eda` in µS, PPG as `bvp` in
 * mV and the low-noise accelerometer as `acc` in m/s², timed by the packets' own 32768 Hz timestamps.
 * Configuration sends one command at a time and waits for its ACK, as the Java API does.
 */
export class Shimmer3Device implements SensorDevice {
  readonly protocol = 'shimmer3' as const
  private transport: ByteTransport | null = null
  private readonly queue: ByteQueue
  private readonly timeoutMs: number
  /** A command exchange is under way: bytes go to the queue; otherwise, not streaming, they are dropped. */
  private exchanging = false
  private gone = false
  private layout: StreamLayout | null = null
  private decoder: PacketDecoder | null = null
  private unwrapper: TimestampUnwrapper | null = null
  private readonly accel = new AccelConverter()
  private sink: DeviceSink | null = null
  private lastMs: number | null = null
  private pendingStart: { resolve: () => void; reject: (error: Error) => void } | null = null
  private pendingStop: (() => void) | null = null

  constructor(
    private readonly settings: Shimmer3Settings,
    private readonly options: DeviceOptions = {}
  ) {
    this.queue = new ByteQueue(settings.path)
    this.timeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS
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
    this.gone = false
  }

  async configure(): Promise<DeviceDescription> {
    const { gsr, ppg, accel, gsrRange, rateHz } = this.settings
    if (!gsr && !ppg && !accel)
      throw new ValidationError(
        `${this.path}: a Shimmer3 needs at least one of GSR, PPG and accelerometer`,
        'gsr'
      )
    this.requireTransport()
    // While streaming, replies would go to the packet decoder and never reach the command queue.
    if (this.decoder) await this.stop()
    this.layout = null
    this.exchanging = true
    this.queue.clear()
    try {
      await this.flush()
      const hardware = await this.get(COMMAND.getShimmerVersion, { response: { id: 0x25, length: fixed(1) } })
      checkHardwareVersion(hardware[0], this.path)
      const version = await this.get(COMMAND.getFirmwareVersion, { response: { id: 0x2f, length: fixed(6) } })
      const firmware: FirmwareVersion = {
        id: version[0] | (version[1] << 8),
        major: version[2] | (version[3] << 8),
        minor: version[4],
        internal: version[5]
      }
      if (firmware.id === FIRMWARE.sdLog)
        throw new DeviceProtocolError(
          this.path,
          'the device runs SDLog firmware, which logs to its SD card and does not stream; flash LogAndStream'
        )
      const instreamPrefix = await this.switchOffInstreamPrefix(firmware)
      const bitmap =
        (gsr ? SENSOR_BITS.gsr : 0) |
        (ppg ? SENSOR_BITS.internalA13 : 0) |
        (accel ? SENSOR_BITS.lowNoiseAccel : 0)
      await this.set(COMMAND.setSensors, sensorBitmapBytes(bitmap))
      const ticks = ticksForRate(rateHz)
      await this.set(COMMAND.setSamplingRate, [ticks & 0xff, ticks >> 8])
      if (gsr) await this.set(COMMAND.setGsrRange, [gsrRange])
      // The PPG front end is powered from the internal expansion rail (JavaAPI SensorPPG).
      if (ppg) await this.set(COMMAND.setInternalExpansionPower, [1])
      // The firmware rebuilds its channel list when it answers, so this is the order packets will have.
      const inquiry = parseInquiry(
        await this.get(COMMAND.inquiry, { response: { id: 0x02, length: inquiryPayloadLength } }),
        this.path
      )
      const layout = this.layoutFor(inquiry, timestampBytes(firmware), instreamPrefix)
      const batteryMv = firmware.id === FIRMWARE.logAndStream ? await this.readBattery() : null
      this.layout = layout
      return this.description(layout, hardware[0], firmware, batteryMv)
    } finally {
      this.exchanging = false
      this.queue.clear()
    }
  }

  async start(sink: DeviceSink): Promise<void> {
    const transport = this.requireTransport()
    const layout = this.layout
    if (!layout) throw new Error(`${this.path}: configure() the Shimmer3 before start()`)
    if (this.decoder) return
    this.decoder = new PacketDecoder(layout.inquiry.channels, {
      timestampBytes: layout.timestampBytes,
      instreamPrefix: layout.instreamPrefix
    })
    this.unwrapper = new TimestampUnwrapper(layout.inquiry.ticks, layout.timestampBytes === 3 ? 24 : 16)
    this.lastMs = null
    this.sink = sink
    const what = describe(COMMAND.startStreaming)
    // Bytes go straight to the decoder from here: it sees the ACK, and the first packets if the ACK was lost.
    const started = new Promise<void>((resolve, reject) => (this.pendingStart = { resolve, reject }))
    const timer = setTimeout(
      () => this.pendingStart?.reject(new DeviceTimeoutError(this.path, what, this.timeoutMs)),
      this.timeoutMs
    )
    try {
      await transport.write(Uint8Array.of(COMMAND.startStreaming[0]))
      await started
    } catch (error) {
      this.endStream()
      throw error
    } finally {
      clearTimeout(timer)
      this.pendingStart = null
    }
  }

  async stop(): Promise<void> {
    const transport = this.transport
    if (!this.decoder) return
    if (!transport || this.gone || !transport.isOpen) return this.endStream()
    const acked = new Promise<void>((resolve) => (this.pendingStop = resolve))
    let timer: ReturnType<typeof setTimeout> | undefined
    const waited = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, Math.min(this.timeoutMs, STOP_WAIT_MS)))
    )
    try {
      await transport.write(Uint8Array.of(COMMAND.stopStreaming[0]))
      // Packets that come before the ACK (or with it, in the same write) are still delivered.
      await Promise.race([acked, waited])
    } catch {
      // The port went while stopping: there is nothing left to stop.
    } finally {
      clearTimeout(timer)
      this.pendingStop = null
      this.endStream()
    }
  }

  async close(): Promise<void> {
    const transport = this.transport
    if (!transport) return
    this.transport = null
    if (this.decoder && !this.gone && transport.isOpen)
      await transport.write(Uint8Array.of(COMMAND.stopStreaming[0])).catch(() => {})
    this.endStream()
    this.layout = null
    this.queue.fail(new DisconnectedError(this.path, 'the port was closed'))
    await transport.close().catch(() => {})
  }

  private requireTransport(): ByteTransport {
    const transport = this.transport
    if (!transport || this.gone || !transport.isOpen)
      throw new DisconnectedError(this.path, 'the port is not open')
    return transport
  }

  private received(chunk: Buffer): void {
    if (this.decoder) this.decoded(this.decoder.push(chunk))
    else if (this.exchanging) this.queue.push(chunk)
  }

  private lost(error: DisconnectedError): void {
    this.gone = true
    this.queue.fail(error)
    this.pendingStart?.reject(error)
    this.pendingStop?.()
    const sink = this.sink
    this.endStream()
    sink?.({ kind: 'disconnected', error })
  }

  private endStream(): void {
    this.decoder = null
    this.unwrapper = null
    this.sink = null
  }

  private async exchange(command: Command, args: number[], spec: ReplySpec, timeoutMs = this.timeoutMs) {
    await this.requireTransport().write(Uint8Array.from([command[0], ...args]))
    const bytes = await this.queue.take(
      describe(command),
      timeoutMs,
      (queued) => scanReply(queued, spec)?.end ?? -1
    )
    return scanReply(bytes, spec)!
  }

  private async set(command: Command, args: number[]): Promise<void> {
    const { reply } = await this.exchange(command, args, {})
    if (reply.kind === 'nack') throw this.refused(command)
  }

  private async get(command: Command, spec: ReplySpec, timeoutMs = this.timeoutMs): Promise<Buffer> {
    const { reply } = await this.exchange(command, [], spec, timeoutMs)
    if (reply.kind === 'response') return Buffer.from(reply.payload)
    if (reply.kind === 'nack') throw this.refused(command)
    const got = reply.kind === 'unexpected' ? `0x${hex(reply.byte)}` : 'a bare ACK'
    const wanted = spec.response ? `0x${hex(spec.response.id)}` : `an in-stream 0x${hex(spec.instream ?? 0)}`
    throw new DeviceProtocolError(this.path, `${describe(command)} was answered with ${got}, not ${wanted}`)
  }

  private refused(command: Command): DeviceProtocolError {
    return new DeviceProtocolError(this.path, `the device refused ${describe(command)} (NACK)`)
  }

  /**
   * Sends a dummy GET and drops whatever comes back, as the Java API does on connecting: it ends a command a
   * previous session left half-sent and clears the line. A device still streaming (an earlier session that
   * never stopped it) keeps sending after that; it is stopped and the line left to go quiet.
   */
  private async flush(): Promise<void> {
    let junk = false
    try {
      const scan = await this.exchange(
        COMMAND.getSamplingRate,
        [],
        { response: { id: 0x04, length: fixed(2) } },
        Math.min(this.timeoutMs, FLUSH_WAIT_MS)
      )
      junk = scan.start > 0
    } catch (error) {
      if (!(error instanceof DeviceTimeoutError)) throw error
    }
    await sleep(QUIET_MS)
    if (!junk && this.queue.length === 0) return
    await this.requireTransport().write(Uint8Array.of(COMMAND.stopStreaming[0]))
    await this.waitForQuiet()
  }

  /** Drops what arrives until nothing has for QUIET_MS (at most a few seconds). */
  private async waitForQuiet(): Promise<void> {
    const deadline = Date.now() + Math.max(this.timeoutMs, 2000)
    let quietSince = Date.now()
    while (Date.now() < deadline && Date.now() - quietSince < QUIET_MS) {
      await sleep(QUIET_MS / 4)
      if (this.queue.length) quietSince = Date.now()
      this.queue.clear()
    }
  }

  /**
   * Turns off the 0xFF before unsolicited in-stream responses, which a naive reader takes for an ACK. Where the
   * firmware refuses (NACK) or ignores it (timeout), the prefix stays on: the decoder reads both forms.
   * Returns whether the prefix is still on.
   */
  private async switchOffInstreamPrefix(firmware: FirmwareVersion): Promise<boolean> {
    if (!supportsInstreamPrefixSwitch(firmware)) return true
    try {
      const { reply } = await this.exchange(COMMAND.setInstreamAckPrefix, [0x00], {})
      return reply.kind === 'nack'
    } catch (error) {
      if (!(error instanceof DeviceTimeoutError)) throw error
      // Whatever the firmware made of the two bytes, a late answer must not pass for the next command's.
      await this.waitForQuiet()
      return true
    }
  }

  /** Battery voltage in mV from GET_VBATT, or null where the firmware does not answer it. */
  private async readBattery(): Promise<number | null> {
    try {
      const payload = await this.get(
        COMMAND.getBattery,
        { instream: INSTREAM_BATTERY },
        Math.min(this.timeoutMs, BATTERY_WAIT_MS)
      )
      return Math.round(batteryMillivolts(payload[0] | (payload[1] << 8)))
    } catch (error) {
      if (error instanceof DeviceTimeoutError) await this.waitForQuiet()
      else if (!(error instanceof DeviceProtocolError)) throw error
      return null
    }
  }

  private layoutFor(inquiry: Inquiry, bytes: 2 | 3, instreamPrefix: boolean): StreamLayout {
    const ids = inquiry.channels.map((channel) => channel.id)
    const find = (id: number, wanted: boolean, what: string): number => {
      if (!wanted) return -1
      const index = ids.indexOf(id)
      if (index < 0)
        throw new DeviceProtocolError(
          this.path,
          `the device's channel list (${ids.map(hex).join(' ')}) lacks ${what} (0x${hex(id)}) after SET_SENSORS: is this a GSR+ unit?`
        )
      return index
    }
    const { gsr, ppg, accel } = this.settings
    return {
      inquiry,
      timestampBytes: bytes,
      instreamPrefix,
      gsr: find(CHANNEL.gsr, gsr, 'GSR'),
      ppg: find(CHANNEL.internalA13, ppg, 'PPG on A13'),
      accel: accel
        ? [
            find(CHANNEL.lowNoiseAccelX, true, 'accelerometer X'),
            find(CHANNEL.lowNoiseAccelY, true, 'accelerometer Y'),
            find(CHANNEL.lowNoiseAccelZ, true, 'accelerometer Z')
          ]
        : null
    }
  }

  private description(
    layout: StreamLayout,
    hardware: number,
    firmware: FirmwareVersion,
    batteryMv: number | null
  ): DeviceDescription {
    const { inquiry } = layout
    const rateHz = rateForTicks(inquiry.ticks)
    const streams: DeviceStream[] = []
    if (layout.gsr >= 0) streams.push({ name: 'eda', unit: 'µS', rateHz, channels: ['gsr'] })
    if (layout.ppg >= 0) streams.push({ name: 'bvp', unit: 'mV', rateHz, channels: ['ppg'] })
    if (layout.accel) streams.push({ name: 'acc', unit: 'm/s²', rateHz, channels: ['x', 'y', 'z'] })
    const info: Record<string, string | number> = {
      hardware: hardware === 3 ? 'Shimmer3' : `hardware ${hardware}`,
      firmware: `${FIRMWARE_NAMES[firmware.id] ?? `firmware ${firmware.id}`} ${firmware.major}.${firmware.minor}.${firmware.internal}`,
      samplingTicks: inquiry.ticks,
      rateHz,
      channels: inquiry.channels.map((channel) => channel.name).join(' '),
      internalExpansionPower: inquiry.internalExpansionPower ? 'on' : 'off',
      instreamAckPrefix: layout.instreamPrefix ? 'on' : 'off',
      timestampBytes: layout.timestampBytes
    }
    if (layout.gsr >= 0)
      info.gsrRange =
        inquiry.gsrRange === GSR_AUTO_RANGE ? 'auto' : `${GSR_FEEDBACK_KOHM[inquiry.gsrRange]} kΩ feedback`
    if (batteryMv !== null) info.batteryMv = batteryMv
    return { streams, info }
  }

  private decoded(chunk: DecodedChunk): void {
    const pending = this.pendingStart
    if (pending) {
      if (chunk.nacks) pending.reject(this.refused(COMMAND.startStreaming))
      else if (chunk.acks || chunk.count) pending.resolve()
    } else if (chunk.acks) this.pendingStop?.()
    const sink = this.sink
    const layout = this.layout
    const unwrapper = this.unwrapper
    if (!sink || !layout || !unwrapper) return
    const events: DeviceEvent[] = []
    const { count, timestamps, values } = chunk
    const stride = layout.inquiry.channels.length
    const range = layout.inquiry.gsrRange
    const times = new Float64Array(count)
    const eda = layout.gsr >= 0 ? new Float32Array(count) : null
    const bvp = layout.ppg >= 0 ? new Float32Array(count) : null
    const acc = layout.accel ? new Float32Array(count * 3) : null
    const dropped: Record<Exclude<TimestampVerdict, 'accepted'>, number> = {
      duplicate: 0,
      backward: 0,
      invalid: 0,
      jump: 0
    }
    let kept = 0
    for (let i = 0; i < count; i++) {
      const verdict = unwrapper.next(timestamps[i])
      if (verdict !== 'accepted') {
        dropped[verdict]++
        continue
      }
      const ms = ticksToMs(unwrapper.elapsed)
      if (unwrapper.missing > 0 && this.lastMs !== null)
        events.push({
          kind: 'gap',
          fromDeviceMs: this.lastMs,
          toDeviceMs: ms,
          missing: unwrapper.missing,
          cause: 'timestamp'
        })
      this.lastMs = ms
      times[kept] = ms
      const base = i * stride
      if (eda) eda[kept] = gsrMicrosiemens(values[base + layout.gsr], range)
      if (bvp) bvp[kept] = ppgMillivolts(values[base + layout.ppg])
      if (acc && layout.accel) {
        const [x, y, z] = layout.accel
        this.accel.convert(values[base + x], values[base + y], values[base + z], acc, kept * 3)
      }
      kept++
    }
    if (kept) {
      const samples = (stream: string, data: Float32Array, channels: number): DeviceEvent => ({
        kind: 'samples',
        stream,
        deviceMs: times.slice(0, kept),
        values: data.slice(0, kept * channels)
      })
      if (eda) events.push(samples('eda', eda, 1))
      if (bvp) events.push(samples('bvp', bvp, 1))
      if (acc) events.push(samples('acc', acc, 3))
    }
    const error = (cause: string, count: number, detail: string) => {
      if (count) events.push({ kind: 'error', cause, count, detail })
    }
    error('resync', chunk.skipped, `${chunk.skipped} bytes skipped to find the next packet`)
    error(
      'reorder',
      dropped.duplicate + dropped.backward,
      'packets with a repeated or earlier timestamp dropped'
    )
    error('invalid-timestamp', dropped.invalid, 'packets with the invalid timestamp 0x000000 dropped')
    error('timestamp-jump', dropped.jump, 'a packet whose timestamp jumped ahead, unconfirmed, dropped')
    if (!pending) error('nack', chunk.nacks, 'the device sent a NACK while streaming')
    for (const event of events) sink(event)
  }
}
