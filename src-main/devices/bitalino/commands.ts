import { BITALINO_CHANNELS, type BitalinoChannel } from '../../ipc/contract/record'
import { crc4Valid } from './frame-decoder'

/**
 * Single-byte commands. 0x00 stops live mode; in idle the firmware reads it as "battery threshold 0", which is
 * its default (3.4 V), so it is also the safe way to make sure a device of unknown version is idle. 0xFF would
 * stop without that side effect but only BITalino 2 firmware knows it.
 */
export const BITALINO_STOP = 0x00
export const BITALINO_VERSION = 0x07
/** BITalino 2 only, in idle. */
export const BITALINO_STATE = 0x0b

export type BitalinoRate = 1 | 10 | 100 | 1000

const RATE_CODES: Record<BitalinoRate, number> = { 1: 0, 10: 1, 100: 2, 1000: 3 }

/** `fs << 6 | 0x03`: 0x03, 0x43, 0x83, 0xC3 for 1, 10, 100, 1000 Hz. */
export function samplingRateCommand(rateHz: BitalinoRate): number {
  const code = RATE_CODES[rateHz]
  if (code === undefined) throw new RangeError(`a BITalino samples at 1, 10, 100 or 1000 Hz, not ${rateHz}`)
  return (code << 6) | 0x03
}

/** Bit i for channel A(i+1); the order of `channels` does not matter, the firmware frames them ascending. */
export function channelMask(channels: readonly BitalinoChannel[]): number {
  let mask = 0
  for (const channel of channels) {
    const bit = BITALINO_CHANNELS.indexOf(channel)
    if (bit < 0) throw new RangeError(`a BITalino has no analog channel ${String(channel)}`)
    mask |= 1 << bit
  }
  return mask
}

/** `mask << 2 | 0x01`: "A6 A5 A4 A3 A2 A1 0 1". */
export function startLiveCommand(mask: number): number {
  if (!Number.isInteger(mask) || mask < 1 || mask > 0x3f)
    throw new RangeError(`a channel mask is 1 to 63 (A1 = bit 0), not ${mask}`)
  return (mask << 2) | 0x01
}

export interface BitalinoVersion {
  /** From "BITalino" to the end of the line, e.g. `BITalino_v5.2`. */
  text: string
  major: number
  minor: number
  /** Firmware with the state command, 0xFF and the digital/PWM output commands ((r)evolution). */
  bitalino2: boolean
  /** Bytes of the state reply: 17 from firmware 5.2, which added the PWM output byte; 16 before. */
  stateLength: 16 | 17
}

const HEADER = Buffer.from('BITalino', 'latin1')
const NEWLINE = 0x0a

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * The version reply inside `reply`, or null when there is no "BITalino" in it. Bytes before the header are
 * frames still in flight from a stream that was just stopped (the cpp API discards them too).
 */
export function parseBitalinoVersion(reply: Uint8Array | string): BitalinoVersion | null {
  const bytes = typeof reply === 'string' ? Buffer.from(reply, 'latin1') : asBuffer(reply)
  const start = bytes.indexOf(HEADER)
  if (start < 0) return null
  const end = bytes.indexOf(NEWLINE, start)
  const text = bytes
    .subarray(start, end < 0 ? bytes.length : end)
    .toString('latin1')
    .trim()
  const number = /_v(\d+)(?:\.(\d+))?/.exec(text)
  const major = number ? Number(number[1]) : 0
  const minor = number?.[2] ? Number(number[2]) : 0
  // The cpp API's rule (major >= 5); the Python API's "float >= 4.2" differs, but every (r)evolution
  // firmware PLUX published (uart.c: 5.1, 5.2) is 5.x and the state command is what this rule gates.
  const bitalino2 = major >= 5
  // uart.c sends the PWM byte (OCR0B) from 5.2 on; the official APIs still read 16 (python API issue #13).
  const stateLength = major > 5 || (major === 5 && minor >= 2) ? 17 : 16
  return { text, major, minor, bitalino2, stateLength }
}

/** A ByteQueue match: the reply ends at the first newline after "BITalino"; -1 until then. */
export function versionReplyLength(bytes: Uint8Array): number {
  const buffer = asBuffer(bytes)
  const start = buffer.indexOf(HEADER)
  if (start < 0) return -1
  const end = buffer.indexOf(NEWLINE, start)
  return end < 0 ? -1 : end + 1
}

/**
 * A ByteQueue match for a text line that is not a version reply: printable ASCII (tabs, CR allowed) with at
 * least one visible character, ended by a newline. Another device on the port (an Arduino printing values)
 * answers like this; binary frames in flight rarely do, and their newlines are skipped over.
 */
export function textLineLength(bytes: Uint8Array): number {
  let lineStart = 0
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== NEWLINE) continue
    let visible = false
    let printable = true
    for (let j = lineStart; j < i && printable; j++) {
      const byte = bytes[j]
      if (byte > 0x20 && byte < 0x7f) visible = true
      else if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) printable = false
    }
    if (printable && visible) return i + 1
    lineStart = i + 1
  }
  return -1
}

export interface BitalinoState {
  /** A1 to A6, 10-bit, read in idle. */
  analog: number[]
  /** The battery input (ABAT), 10-bit. */
  battery: number
  /** 0 (3.4 V) to 63 (3.8 V): the level under which the battery LED lights. */
  batteryThreshold: number
  /** The PWM output's duty cycle 0 to 255; firmware 5.2 and later only. */
  analogOutput: number | null
  /** I1, I2, O1, O2 in bits 3 to 0. */
  digital: number
}

/**
 * The state reply: 7 little-endian words (A1 to A6, battery), the battery threshold, from 5.2 the PWM byte,
 * then the digital ports in the high nibble and the CRC4 in the low one. Null when the length is neither 16
 * nor 17 or the CRC fails (a 17-byte reply read as 16 fails, which is how the official APIs break on 5.2).
 */
export function parseBitalinoState(reply: Uint8Array): BitalinoState | null {
  if ((reply.length !== 16 && reply.length !== 17) || !crc4Valid(reply)) return null
  const word = (index: number): number => reply[2 * index] | (reply[2 * index + 1] << 8)
  return {
    analog: [0, 1, 2, 3, 4, 5].map(word),
    battery: word(6),
    batteryThreshold: reply[14],
    analogOutput: reply.length === 17 ? reply[15] : null,
    digital: reply[reply.length - 1] >> 4
  }
}

/**
 * The firmware's battery threshold is 527 + setting in ABAT units and its comments put 527 at 3.4 V and 590
 * at 3.8 V; a battery reading is placed on that same line. Approximate, for the user's information.
 */
export function batteryVolts(batteryAdc: number): number {
  return 3.4 + ((batteryAdc - 527) * 0.4) / 63
}

export function batteryThresholdVolts(threshold: number): number {
  return 3.4 + (threshold * 0.4) / 63
}
