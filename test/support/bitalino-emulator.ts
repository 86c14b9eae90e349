import { SerialEmulator } from './serial-emulator'

/**
 * A BITalino (r)evolution on the device end of a PtyPair, after the firmware's uart.c and live.c
 * (BITalinoWorld/firmware-bitalino-revolution). Its CRC and packing are written out again here, not imported
 * from the app, so that the app's decoder is checked against the firmware's rules and not against itself.
 */

const CRC_TABLE = [0, 3, 6, 5, 12, 15, 10, 9, 11, 8, 13, 14, 7, 4, 1, 2]

/** uart.c byteCRC: nibble by nibble, high nibble first. */
function byteCrc(crc: number, byte: number): number {
  crc = CRC_TABLE[crc] ^ (byte >> 4)
  return CRC_TABLE[crc] ^ (byte & 0x0f)
}

/** `word(frame + at) |= value` on the little-endian AVR. */
function orWord(frame: Uint8Array, at: number, value: number): void {
  frame[at] |= value & 0xff
  frame[at + 1] |= (value >> 8) & 0xff
}

/**
 * One live frame as timer1TickLive and sendFrameCRC build it: `adc10` holds the 10-bit conversions of the
 * acquired channels in ascending order (the 5th and 6th keep only their upper 6 bits), `digital` the ports
 * I1 I2 O1 O2 in bits 3 to 0.
 */
export function packBitalinoFrame(adc10: ArrayLike<number>, digital: number, seq: number): Uint8Array {
  const n = adc10.length
  const frame = new Uint8Array(8)
  frame[6] = (digital & 0x0f) << 4
  orWord(frame, 5, adc10[0] << 2)
  if (n > 1) orWord(frame, 4, adc10[1])
  if (n > 2) orWord(frame, 2, adc10[2] << 6)
  if (n > 3) orWord(frame, 1, adc10[3] << 4)
  if (n > 4) orWord(frame, 0, (adc10[4] & 0x3f0) << 2)
  if (n > 5) frame[0] |= adc10[5] >> 4
  let startPos = 6 - n
  if (n >= 3 && n <= 5) startPos--
  let crc = 0
  for (let i = startPos; i < 7; i++) crc = byteCrc(crc, frame[i])
  crc = CRC_TABLE[crc] ^ (seq & 0x0f)
  frame[7] = ((seq & 0x0f) << 4) | CRC_TABLE[crc]
  return frame.slice(startPos)
}

/** The emulator's signal: the 10-bit reading of physical channel 0..5 (A1..A6) at frame `sampleIndex`. */
export function emulatedAdc(channel: number, sampleIndex: number): number {
  return (sampleIndex * (7 + 6 * channel) + 171 * channel) % 1024
}

export interface BitalinoEmulatorOptions {
  /** What 0x07 answers; default the 5.2 firmware's string. */
  version?: string
  /** Frames are sent every this many ms, the ones due so far in one write; default 10. */
  batchMs?: number
}

const RATE_OF: Record<number, number> = { 0x03: 1, 0x43: 10, 0x83: 100, 0xc3: 1000 }

export class BitalinoEmulator extends SerialEmulator {
  readonly version: string
  /** What the state command reads on A1..A6 and the battery input. */
  stateAnalog = [11, 22, 33, 44, 55, 66]
  battery = 560
  /** The digital inputs, read into every frame. */
  i1 = false
  i2 = false
  rateHz = 1000
  batteryThreshold = 0
  analogOutput = 0
  /** O1 in bit 1, O2 in bit 0, as in a frame's digital nibble. */
  outputs = 0
  private readonly batchMs: number
  private mask = 0
  private channelTable: number[] = []
  private startMs = 0
  private pendingPwm = false
  /** Faults scheduled by frame index (counted from the start of live mode). */
  private readonly garbage = new Map<number, Uint8Array[]>()
  private readonly corrupted = new Set<number>()
  private readonly skipped = new Set<number>()
  /** Frames made since the last start, sent or not: the index of the next one. */
  sampleIndex = 0
  framesSent = 0

  constructor(options: BitalinoEmulatorOptions = {}) {
    super()
    this.version = options.version ?? 'BITalino_v5.2\n'
    this.batchMs = options.batchMs ?? 10
  }

  get live(): boolean {
    return this.mask !== 0
  }

  /** Physical channels (0 = A1) being acquired, ascending. */
  get acquired(): number[] {
    return [...this.channelTable]
  }

  /**
   * Bytes slipped into the stream just before frame `atFrame` (default the next one), or sent at once when
   * idle and no frame is named. Naming the frame makes the whole byte stream, and so the test, deterministic.
   */
  injectGarbage(bytes: Uint8Array | number[], atFrame?: number): void {
    const copy = Uint8Array.from(bytes)
    if (atFrame === undefined && !this.live) {
      this.send(copy)
      return
    }
    const at = atFrame ?? this.sampleIndex
    this.garbage.set(at, [...(this.garbage.get(at) ?? []), copy])
  }

  /** Frames fromFrame .. fromFrame + n - 1 (default the next n) go out with a wrong CRC. */
  corruptNextFrames(n: number, fromFrame = this.sampleIndex): void {
    for (let i = 0; i < n; i++) this.corrupted.add(fromFrame + i)
  }

  /** Frames fromFrame .. fromFrame + n - 1 are made but never sent (a TX buffer overflow): the sequence jumps. */
  skipSequence(n: number, fromFrame = this.sampleIndex): void {
    for (let i = 0; i < n; i++) this.skipped.add(fromFrame + i)
  }

  /** Live mode as if the app had sent the start command; also a device left streaming by an earlier session. */
  startLive(mask: number): void {
    this.mask = mask & 0x3f
    this.channelTable = [0, 1, 2, 3, 4, 5].filter((channel) => this.mask & (1 << channel))
    this.sampleIndex = 0
    this.framesSent = 0
    this.startMs = performance.now()
    this.every(this.batchMs, () => this.tick())
  }

  protected received(chunk: Buffer): void {
    for (const command of chunk) this.command(command)
  }

  private command(cmd: number): void {
    if (this.pendingPwm) {
      this.pendingPwm = false
      this.analogOutput = cmd
      return
    }
    if ((cmd & 0xa3) === 0xa3 && cmd !== 0xff) {
      if (cmd === 0xa3) this.pendingPwm = true
      else if ((cmd & 0xf3) === 0xb3) this.setOutputs(cmd)
      return
    }
    if (this.live) {
      if (cmd === 0x00 || cmd === 0xff) this.stopLive()
      else if ((cmd & 3) === 3) this.setOutputs(cmd)
      return
    }
    switch (cmd & 3) {
      case 0:
        this.batteryThreshold = cmd >> 2
        return
      case 1:
        // Mask 0 would make a frame of no channels; the app never asks for it.
        if (cmd >> 2) this.startLive(cmd >> 2)
        return
      case 2:
        // Simulated mode: the app never uses it, so it is not emulated.
        return
      case 3:
        if (cmd === 0x07 || cmd === 0x0f) this.send(this.version)
        else if (cmd === 0x0b && this.versionNumber()[0] >= 5) this.send(this.stateReply())
        else if (RATE_OF[cmd] !== undefined) this.rateHz = RATE_OF[cmd]
    }
  }

  /** "1 0 1 1 O2 O1 1 1": O1 in bit 2, O2 in bit 3. */
  private setOutputs(cmd: number): void {
    this.outputs = (((cmd >> 2) & 1) << 1) | ((cmd >> 3) & 1)
  }

  private stopLive(): void {
    this.stopTimers()
    this.mask = 0
    this.garbage.clear()
    this.corrupted.clear()
    this.skipped.clear()
  }

  private versionNumber(): [number, number] {
    const match = /_v(\d+)\.(\d+)/.exec(this.version)
    return match ? [Number(match[1]), Number(match[2])] : [0, 0]
  }

  /** uart.c sendStatus; from 5.2 the PWM byte (OCR0B) sits before the digital ports. */
  stateReply(): Uint8Array {
    const [major, minor] = this.versionNumber()
    const bytes: number[] = []
    for (const value of [...this.stateAnalog, this.battery]) bytes.push(value & 0xff, value >> 8)
    bytes.push(this.batteryThreshold)
    if (major > 5 || (major === 5 && minor >= 2)) bytes.push(this.analogOutput)
    let crc = 0
    for (const byte of bytes) crc = byteCrc(crc, byte)
    const digital = ((this.i1 ? 8 : 0) | (this.i2 ? 4 : 0) | (this.outputs & 2) | (this.outputs & 1)) & 0x0f
    crc = CRC_TABLE[crc] ^ digital
    bytes.push((digital << 4) | CRC_TABLE[crc])
    return Uint8Array.from(bytes)
  }

  private tick(): void {
    let due = Math.floor(((performance.now() - this.startMs) * this.rateHz) / 1000) + 1
    // At 1000 Hz the firmware enables its transmitter only every second frame (a BT module workaround).
    if (this.rateHz === 1000) due -= due % 2
    const parts: Uint8Array[] = []
    const digital = (this.i1 ? 8 : 0) | (this.i2 ? 4 : 0) | this.outputs
    while (this.sampleIndex < due) {
      const index = this.sampleIndex++
      parts.push(...(this.garbage.get(index) ?? []))
      this.garbage.delete(index)
      if (this.skipped.delete(index)) continue
      const adc = this.channelTable.map((channel) => emulatedAdc(channel, index))
      const frame = packBitalinoFrame(adc, digital, index % 16)
      if (this.corrupted.delete(index)) frame[frame.length - 1] ^= 0x05
      parts.push(frame)
      this.framesSent++
    }
    if (parts.length > 0) this.send(Buffer.concat(parts))
  }
}
