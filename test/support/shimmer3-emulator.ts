import { SerialEmulator } from './serial-emulator'

/** Argument bytes after each command byte (log-and-stream-common shimmer_bt_uart.c RX state machine). */
const ARGUMENTS: Record<number, number> = {
  0x05: 2,
  0x08: 3,
  0x21: 1,
  0x5e: 1,
  0x66: 2,
  0x6a: 1,
  0x8b: 1,
  0xa3: 1
}

/** Config SETs the firmware refuses while sensing (ShimBt_isCmdBlockedWhileSensing). */
const BLOCKED_WHILE_STREAMING = new Set([0x05, 0x08, 0x21, 0x5e, 0x6a, 0x8b])

/**
 * Sensor bit -> channel ids, in the order the firmware builds its channel list (adc.c ADC_configureChannels:
 * LN accel, VBATT, A7, A6, A15, A12, A13, A14, GSR, A1). Strain and the I2C/SPI sensors are not emulated.
 */
const ADC_ORDER: [bit: number, ids: number[]][] = [
  [0x80, [0x00, 0x01, 0x02]],
  [0x2000, [0x03]],
  [0x02, [0x0d]],
  [0x01, [0x0e]],
  [0x0800, [0x0f]],
  [0x0200, [0x11]],
  [0x0100, [0x12]],
  [0x800000, [0x13]],
  [0x04, [0x1c]],
  [0x0400, [0x10]]
]

export interface FirmwareVersion {
  /** 1 BtStream, 2 SDLog, 3 LogAndStream. */
  id: number
  major: number
  minor: number
  internal: number
}

export interface Shimmer3EmulatorOptions {
  /** 3 Shimmer3 (default), 10 Shimmer3R. */
  hardwareVersion?: number
  /** Default LogAndStream 0.16.0. */
  firmware?: FirmwareVersion
  /** The first packet's timestamp (ticks, wrapped to the counter's width); default 0x001000. */
  startTimestamp?: number
  /** Commands answered with NACK. */
  nack?: number[]
  /** Commands the firmware does not answer at all (their argument bytes are still consumed). */
  silent?: number[]
  /** Commands whose reply is preceded by an unsolicited `FF 8A 71 <status>`. */
  statusBefore?: number[]
  /** How often due packets go out; default 15 ms. */
  batchMs?: number
  /** GET_VBATT's raw ADC value; default 2600 (3.81 V). */
  batteryRaw?: number
}

/**
 * The raw value the emulator sends for a channel in packet `index` (0 = the first after START), so that a test
 * can work out what it should have received. The GSR value carries the range in bits 14-15: the set range, or
 * with auto range (4) one that changes every 32 packets. ADC codes run below the 0.5 V amplifier reference
 * now and then, to reach the conversion's clamps.
 */
export function emulatedRaw(channelId: number, index: number, gsrRange: number): number {
  switch (channelId) {
    case 0x00:
    case 0x01:
    case 0x02:
      return 2047 + ((index * 13 + channelId * 101) % 333) - 166
    case 0x03:
      return 2600 + (index % 50)
    case 0x12:
      return 1000 + ((index * 29) % 2000)
    case 0x1c: {
      const range = gsrRange === 4 ? (index >> 5) & 0x03 : gsrRange
      return (range << 14) | (600 + ((index * 37) % 3400))
    }
    default:
      return (index * 17 + channelId * 50) % 4096
  }
}

/**
 * A Shimmer3 GSR+ running LogAndStream (or an older firmware) as it speaks over Bluetooth SPP: every command
 * of the reference's table answered with ACK (0xFF), GETs as `FF <response id> <payload>`, config SETs NACKed
 * while streaming; START streams packets of the configured channels at the configured rate, in batches every
 * batchMs, timestamps advancing by the sampling period; STOP's ACK goes out glued to the last packet.
 */
export class Shimmer3Emulator extends SerialEmulator {
  sensors = 0
  ticks = 640
  gsrRange = 4
  internalExpansionPower = 0
  instreamPrefix = true
  /** Packets produced since START, sent or dropped. */
  index = 0
  streaming = false
  private readonly options: Shimmer3EmulatorOptions
  private readonly firmware: FirmwareVersion
  private input: number[] = []
  private startedAt = 0
  private dropping = 0
  private garbage: number[] = []
  private statuses: number[] = []

  constructor(options: Shimmer3EmulatorOptions = {}) {
    super()
    this.options = options
    this.firmware = options.firmware ?? { id: 3, major: 0, minor: 16, internal: 0 }
  }

  /** Two bytes on firmware before BtStream 0.7.3 / LogAndStream 0.5.4, else three. */
  get timestampBytes(): 2 | 3 {
    const { id, major, minor, internal } = this.firmware
    const code = major * 65536 + minor * 256 + internal
    if (id === 1 && code < 0x0703) return 2
    if (id === 3 && code < 0x0504) return 2
    return 3
  }

  /** The channel ids a packet carries now, in order. */
  channelIds(): number[] {
    const ids: number[] = []
    for (const [bit, channels] of ADC_ORDER) if (this.sensors & bit) ids.push(...channels)
    return ids
  }

  get frameLength(): number {
    return 1 + this.timestampBytes + this.channelIds().length * 2
  }

  /** The timestamp of packet `index`. */
  timestampOf(index: number): number {
    const modulus = 2 ** (this.timestampBytes * 8)
    return ((this.options.startTimestamp ?? 0x001000) + index * this.ticks) % modulus
  }

  /** Bytes that go out before the next batch of packets, as line noise would. */
  injectGarbage(bytes: number[]): void {
    this.garbage.push(...bytes)
  }

  /** The next n packets are made (their timestamps advance) but never sent. */
  dropPackets(count: number): void {
    this.dropping += count
  }

  /** An unsolicited status (dock, button), amid the next batch when streaming, else at once. */
  sendStatus(status: number): void {
    if (this.streaming) this.statuses.push(status)
    else this.out(this.unsolicited(status))
  }

  /** Starts streaming as if a previous session had sent START and gone away. */
  startStreaming(): void {
    if (this.streaming) return
    this.streaming = true
    this.index = 0
    this.startedAt = performance.now()
    this.every(this.options.batchMs ?? 15, () => this.sendDue())
  }

  protected received(chunk: Buffer): void {
    for (const byte of chunk) this.input.push(byte)
    while (this.input.length) {
      const command = this.input[0]
      const count = ARGUMENTS[command] ?? 0
      if (this.input.length < 1 + count) return
      const args = this.input.slice(1, 1 + count)
      this.input = this.input.slice(1 + count)
      this.command(command, args)
    }
  }

  private command(command: number, args: number[]): void {
    if (this.options.silent?.includes(command) || command === 0xb5) return
    if (this.options.statusBefore?.includes(command)) this.out(this.unsolicited(0x20))
    if (this.options.nack?.includes(command)) return this.out([0xfe])
    if (this.streaming && BLOCKED_WHILE_STREAMING.has(command)) return this.out([0xfe])
    const u16 = (value: number) => [value & 0xff, (value >> 8) & 0xff]
    switch (command) {
      case 0x01:
        return this.out(this.inquiry())
      case 0x03:
        return this.out([0xff, 0x04, ...u16(this.ticks)])
      case 0x05:
        this.ticks = args[0] | (args[1] << 8)
        return this.out([0xff])
      case 0x06:
      case 0x6a:
      case 0x8b:
      case 0x96:
        return this.out([0xff])
      case 0x07:
        this.out([0xff])
        return this.startStreaming()
      case 0x08:
        this.sensors = args[0] | (args[1] << 8) | (args[2] << 16)
        return this.out([0xff])
      case 0x20:
        return this.stopStreaming()
      case 0x21:
        this.gsrRange = args[0] > 4 ? 4 : args[0]
        return this.out([0xff])
      case 0x23:
        return this.out([0xff, 0x22, this.gsrRange])
      case 0x3f:
        return this.out([0xff, 0x25, this.options.hardwareVersion ?? 3])
      case 0x2e: {
        const { id, major, minor, internal } = this.firmware
        return this.out([0xff, 0x2f, ...u16(id), ...u16(major), minor, internal])
      }
      case 0x5e:
        this.internalExpansionPower = args[0] & 1
        return this.out([0xff])
      case 0x60:
        return this.out([0xff, 0x5f, this.internalExpansionPower])
      case 0x72:
        return this.out([0xff, 0x8a, 0x71, this.status()])
      case 0x95:
        return this.out([0xff, 0x8a, 0x94, ...u16(this.options.batteryRaw ?? 2600), 0x00])
      case 0xa3:
        this.instreamPrefix = args[0] !== 0
        return this.out([0xff])
      default:
        return this.out([0xfe])
    }
  }

  private out(bytes: number[]): void {
    this.send(Uint8Array.from(bytes))
  }

  private inquiry(): number[] {
    const ids = this.channelIds()
    const configByte3 = (this.internalExpansionPower & 1) | ((this.gsrRange & 0x07) << 1)
    return [0xff, 0x02, this.ticks & 0xff, this.ticks >> 8, 0, 0, 0, configByte3, ids.length, 1, ...ids]
  }

  private status(): number {
    // Bits: 1 sensing, 4 streaming (pyshimmer GetStatusCommand).
    return this.streaming ? 0x12 : 0x00
  }

  private unsolicited(status: number): number[] {
    return this.instreamPrefix ? [0xff, 0x8a, 0x71, status] : [0x8a, 0x71, status]
  }

  private stopStreaming(): void {
    if (!this.streaming) return this.out([0xff])
    this.stopTimers()
    this.streaming = false
    // BtStream appends the ACK to the last packet in the same write; the timer fires once more to make it.
    const frames = this.due(true)
    this.out([...frames, 0xff])
  }

  private sendDue(): void {
    const frames = this.due(false)
    if (frames.length) this.out(frames)
  }

  /** The bytes of the packets due by now (at least one when `last`), with any garbage and statuses amid them. */
  private due(last: boolean): number[] {
    const rateHz = 32768 / this.ticks
    let target = Math.floor(((performance.now() - this.startedAt) * rateHz) / 1000) + 1
    if (last) target = Math.max(target, this.index + 1)
    const out: number[] = []
    const frameLength = this.frameLength
    while (this.index < target) {
      const index = this.index++
      if (this.dropping > 0) {
        this.dropping--
        continue
      }
      if (this.garbage.length) out.push(...this.garbage.splice(0))
      out.push(...this.frame(index))
      // Statuses go after the batch's first packet, so that they sit between packets.
      if (out.length >= frameLength)
        for (const status of this.statuses.splice(0)) out.push(...this.unsolicited(status))
    }
    return out
  }

  private frame(index: number): number[] {
    const timestamp = this.timestampOf(index)
    const out = [0x00, timestamp & 0xff, (timestamp >> 8) & 0xff]
    if (this.timestampBytes === 3) out.push((timestamp >> 16) & 0xff)
    for (const id of this.channelIds()) {
      const value = emulatedRaw(id, index, this.gsrRange)
      out.push(value & 0xff, (value >> 8) & 0xff)
    }
    return out
  }
}
