import { describe, expect, it } from 'vitest'
import {
  channelMask,
  parseBitalinoState,
  parseBitalinoVersion,
  samplingRateCommand,
  startLiveCommand,
  textLineLength,
  versionReplyLength
} from '../../src-main/devices/bitalino/commands'
import {
  BitalinoFrameDecoder,
  bitalinoFrameSize,
  channelResolution,
  crc4,
  crc4Valid,
  type BitalinoFrames
} from '../../src-main/devices/bitalino/frame-decoder'
import {
  accG,
  adcCounts,
  ecgMillivolts,
  edaMicrosiemens,
  emgMillivolts,
  transferTable
} from '../../src-main/devices/bitalino/transfer'
import { packBitalinoFrame } from '../support/bitalino-emulator'

/** The Python API's bitwise CRC4 (poly x^4 + x + 1), written out independently of the table form. */
function pythonCrc4(bytes: Uint8Array): number {
  const data = Uint8Array.from(bytes)
  data[data.length - 1] &= 0xf0
  let x = 0
  for (const byte of data)
    for (let bit = 7; bit >= 0; bit--) {
      x <<= 1
      if (x & 0x10) x ^= 0x03
      x ^= (byte >> bit) & 1
    }
  return x & 0x0f
}

/** A small seeded generator (mulberry32), so the randomised cases are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

interface Frame {
  seq: number
  digital: number
  analog: number[]
}

/** Copies a push's views out, frame by frame. */
function framesOf(decoded: BitalinoFrames, channels: number): Frame[] {
  return Array.from({ length: decoded.count }, (_, i) => ({
    seq: decoded.sequence[i],
    digital: decoded.digital[i],
    analog: Array.from(decoded.analog.subarray(i * channels, (i + 1) * channels))
  }))
}

/** Feeds chunks and gathers every frame and count. */
function decodeAll(channels: number, chunks: Uint8Array[]) {
  const decoder = new BitalinoFrameDecoder(channels)
  const frames: Frame[] = []
  let crcFailures = 0
  let skippedBytes = 0
  for (const chunk of chunks) {
    const decoded = decoder.push(chunk)
    frames.push(...framesOf(decoded, channels))
    crcFailures += decoded.crcFailures
    skippedBytes += decoded.skippedBytes
  }
  return { frames, crcFailures, skippedBytes, pending: decoder.pending }
}

const concat = (...parts: ArrayLike<number>[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => Array.from(p)))

/** Frames first..first+count-1 of N channels with values fixed by index (channel c: 37 i + 101 c mod 1024). */
function stream(channels: number, first: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, k) => {
    const i = first + k
    const adc = Array.from({ length: channels }, (_, c) => (37 * i + 101 * c) % 1024)
    return packBitalinoFrame(adc, i % 16, i % 16)
  })
}

const expectedFrame = (channels: number, i: number): Frame => ({
  seq: i % 16,
  digital: i % 16,
  analog: Array.from({ length: channels }, (_, c) => {
    const adc = (37 * i + 101 * c) % 1024
    return c < 4 ? adc : adc >> 4
  })
})

/*
 * CRC4 by hand: the CRC is the remainder of the frame's bits, low nibble zeroed, divided by g = x^4 + x + 1.
 * It is linear, so a bit k places from the end (k = 0 the last bit of the zeroed nibble) adds x^k mod g:
 *   k mod 15:  0  1  2  3  4  5  6   7  8  9   10 11  12  13  14
 *   x^k mod g: 1  2  4  8  3  6  12  11 5  10  7  14  15  13  9
 * and the CRC is the XOR of those for every set bit. Byte j of an L-byte message has bit b at k = 8(L-1-j) + b.
 */
describe('BITalino CRC4', () => {
  it('matches remainders worked out by hand', () => {
    // Only the sequence nibble set: seq 1 = x^4 -> 3; seq 2 = x^5 -> 6; seq 8 = x^7 -> 11.
    expect(crc4(Uint8Array.of(0x00, 0x00, 0x10))).toBe(3)
    expect(crc4(Uint8Array.of(0x00, 0x00, 0x20))).toBe(6)
    expect(crc4(Uint8Array.of(0x00, 0x00, 0x80))).toBe(11)
    // 0x01 in byte 0 of 3: k = 16 -> x^1 = 2; the low nibble of the last byte is not part of it.
    expect(crc4(Uint8Array.of(0x01, 0x00, 0x0f))).toBe(2)
    expect(crc4Valid(Uint8Array.of(0x01, 0x00, 0x02))).toBe(true)
    expect(crc4Valid(Uint8Array.of(0x01, 0x00, 0x03))).toBe(false)
    // A window inside a larger buffer.
    expect(crc4(Uint8Array.of(0xff, 0x00, 0x00, 0x80, 0xff), 1, 3)).toBe(11)
  })

  it('equals the Python API bitwise form for random messages of 3 to 17 bytes', () => {
    const next = random(7)
    for (let trial = 0; trial < 2000; trial++) {
      const bytes = Uint8Array.from({ length: 3 + (trial % 15) }, () => Math.floor(next() * 256))
      expect(crc4(bytes)).toBe(pythonCrc4(bytes))
    }
  })
})

describe('BITalino frame layout', () => {
  it('has the frame sizes of the cpp and Python APIs', () => {
    const python = (n: number) => (n <= 4 ? Math.ceil((12 + 10 * n) / 8) : Math.ceil((52 + 6 * (n - 4)) / 8))
    expect([1, 2, 3, 4, 5, 6].map(bitalinoFrameSize)).toEqual([3, 4, 6, 7, 8, 8])
    expect([1, 2, 3, 4, 5, 6].map(bitalinoFrameSize)).toEqual([1, 2, 3, 4, 5, 6].map(python))
    expect(() => bitalinoFrameSize(0)).toThrow(RangeError)
    expect(() => bitalinoFrameSize(7)).toThrow(RangeError)
    expect([0, 1, 2, 3, 4, 5].map(channelResolution)).toEqual([10, 10, 10, 10, 6, 6])
  })

  // Bytes in the order sent; D = I1 I2 O1 O2; aN.b = bit b of the Nth acquired channel; S = sequence, C = CRC.
  const cases: { channels: number; bytes: number[]; frame: Frame; why: string }[] = [
    {
      // b0 = a1.5..0 0 0 | b1 = D a1.9..6 | b2 = S C
      // a1 = 513 = 10 0000 0001: b0 = 000001 00, b1 = 1000 1000 (I1 on); S = 5.
      // CRC bits: b0.2 k18 -> 8, b1.7 k15 -> 1, b1.3 k11 -> 14, S.2 k6 -> 12, S.0 k4 -> 3: 8^1^14^12^3 = 8.
      channels: 1,
      bytes: [0x04, 0x88, 0x58],
      frame: { seq: 5, digital: 0b1000, analog: [513] },
      why: 'one channel'
    },
    {
      // b0 = a2.7..0 | b1 = a1.5..0 a2.9..8 | b2 = D a1.9..6 | b3 = S C
      // a1 = 1023, a2 = 256: b0 = 0x00, b1 = 111111 01, b2 = 0001 1111 (O2 on); S = 15.
      // CRC: b1 k23,22,21,20,19,18,16 -> 5,11,12,6,3,8,2; b2 k12..8 -> 15,14,7,10,5; S k7..4 -> 11,12,6,3 = 6.
      channels: 2,
      bytes: [0x00, 0xfd, 0x1f, 0xf6],
      frame: { seq: 15, digital: 0b0001, analog: [1023, 256] },
      why: 'two channels, all bits of the first'
    },
    {
      // b0 = a3.1..0 000000 | b1 = a3.9..2 | b2 = a2.7..0 | b3 = a1.5..0 a2.9..8 | b4 = D a1.9..6 | b5 = S C
      // a1 = 1, a2 = 512, a3 = 515 (bits 9, 1, 0); I2 on; S = 0.
      // b0 = 11 000000, b1 = 1000 0000, b2 = 0, b3 = 000001 10, b4 = 0100 0000.
      // CRC: b0 k47,46 -> 4,2; b1 k39 -> 10; b3 k18,17 -> 8,4; b4 k14 -> 9: 4^2^10^8^4^9 = 9.
      channels: 3,
      bytes: [0xc0, 0x80, 0x00, 0x06, 0x40, 0x09],
      frame: { seq: 0, digital: 0b0100, analog: [1, 512, 515] },
      why: 'three channels, the one with the extra byte'
    },
    {
      // b0 = a4.3..0 0000 | b1 = a3.1..0 a4.9..4 | b2 = a3.9..2 | b3 = a2.7..0 | b4 = a1.5..0 a2.9..8
      // | b5 = D a1.9..6 | b6 = S C
      // a1 = 64, a2 = 128, a3 = 4, a4 = 529 (bits 9, 4, 0); O1 on; S = 9.
      // b0 = 0001 0000, b1 = 00 100001, b2 = 0000 0001, b3 = 1000 0000, b4 = 0, b5 = 0010 0001.
      // CRC: b0 k52 -> 11; b1 k45,40 -> 1,7; b2 k32 -> 4; b3 k31 -> 2; b5 k13,8 -> 13,5; S k7,4 -> 11,3 = 11.
      channels: 4,
      bytes: [0x10, 0x21, 0x01, 0x80, 0x00, 0x21, 0x9b],
      frame: { seq: 9, digital: 0b0010, analog: [64, 128, 4, 529] },
      why: 'four channels'
    },
    {
      // b0 = a5.1..0 000000 | b1 = a4.3..0 a5.5..2 | then as four channels; a5 is 6-bit.
      // a1 = 512, a2 = 1, a3 = 0, a4 = 8, a5 = 33 = 100001; I1 and O2 on; S = 3.
      // b0 = 01 000000, b1 = 1000 1000, b2 = b3 = 0, b4 = 0000 0001, b5 = 0, b6 = 1001 1000.
      // CRC: b0 k62 -> 4; b1 k55,51 -> 7,12; b4 k24 -> 10; b6 k15,12,11 -> 1,15,14; S k5,4 -> 6,3 = 0.
      channels: 5,
      bytes: [0x40, 0x88, 0x00, 0x00, 0x01, 0x00, 0x98, 0x30],
      frame: { seq: 3, digital: 0b1001, analog: [512, 1, 0, 8, 33] },
      why: 'five channels, the fifth 6-bit'
    },
    {
      // b0 = a5.1..0 a6.5..0 | b1 = a4.3..0 a5.5..2 | ...; a5 and a6 are 6-bit.
      // a1 = 32, a2 = 2, a3 = 256, a4 = 1, a5 = 2, a6 = 63; no digital; S = 14.
      // b0 = 10 111111, b1 = 0001 0000, b2 = 0, b3 = 0100 0000, b4 = 0000 0010, b5 = 1000 0000, b6 = 0.
      // CRC: b0 k63,61,60,59,58,57,56 -> 8,2,1,9,13,15,14; b1 k52 -> 11; b3 k38 -> 5; b4 k25 -> 7;
      //      b5 k23 -> 5; S k7,6,5 -> 11,12,6: XOR = 3.
      channels: 6,
      bytes: [0xbf, 0x10, 0x00, 0x40, 0x02, 0x80, 0x00, 0xe3],
      frame: { seq: 14, digital: 0, analog: [32, 2, 256, 1, 2, 63] },
      why: 'six channels, both 6-bit'
    }
  ]

  for (const { channels, bytes, frame, why } of cases)
    it(`decodes a frame worked out by hand: ${why}`, () => {
      const frameBytes = Uint8Array.from(bytes)
      expect(bytes).toHaveLength(bitalinoFrameSize(channels))
      expect(crc4Valid(frameBytes)).toBe(true)
      expect(pythonCrc4(frameBytes)).toBe(bytes[bytes.length - 1] & 0x0f)
      const result = decodeAll(channels, [frameBytes])
      expect(result).toEqual({ frames: [frame], crcFailures: 0, skippedBytes: 0, pending: 0 })
    })

  it("is the emulator's firmware packing inverted, for the hand frames", () => {
    for (const { channels, bytes, frame } of cases) {
      // The firmware packs 10-bit conversions; a 6-bit value is their upper bits, so any low nibble is lost.
      const adc10 = frame.analog.map((value, position) => (position < 4 ? value : (value << 4) | 0x0f))
      expect(Array.from(packBitalinoFrame(adc10, frame.digital, frame.seq)), `${channels} channels`).toEqual(
        bytes
      )
    }
  })
})

describe('BitalinoFrameDecoder', () => {
  it('decodes the same frames wherever a chunk boundary falls', () => {
    for (let channels = 1; channels <= 6; channels++) {
      const bytes = concat(...stream(channels, 0, 4))
      const expected = [0, 1, 2, 3].map((i) => expectedFrame(channels, i))
      for (let cut = 0; cut <= bytes.length; cut++) {
        const result = decodeAll(channels, [bytes.subarray(0, cut), bytes.subarray(cut)])
        expect(result.frames, `${channels} channels cut at ${cut}`).toEqual(expected)
        expect(result.skippedBytes + result.crcFailures + result.pending).toBe(0)
      }
    }
  })

  it('decodes bytes fed one at a time', () => {
    for (let channels = 1; channels <= 6; channels++) {
      const bytes = concat(...stream(channels, 0, 20))
      const result = decodeAll(
        channels,
        Array.from(bytes, (byte) => Uint8Array.of(byte))
      )
      expect(result.frames).toEqual(Array.from({ length: 20 }, (_, i) => expectedFrame(channels, i)))
    }
  })

  it('follows the sequence through its wrap from 15 to 0', () => {
    const result = decodeAll(3, stream(3, 13, 5))
    expect(result.frames.map((frame) => frame.seq)).toEqual([13, 14, 15, 0, 1])
    expect(result.crcFailures + result.skippedBytes).toBe(0)
  })

  it('resynchronises after garbage, skipping exactly the garbage', () => {
    // 5 bytes of garbage in a 6-channel stream (8-byte frames): one place where a frame was due fails its CRC.
    const garbage = [0x12, 0x34, 0x56, 0x78, 0x9a]
    const bytes = concat(...stream(6, 0, 3), garbage, ...stream(6, 3, 4))
    const result = decodeAll(6, [bytes])
    expect(result.frames).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => expectedFrame(6, i)))
    expect(result.skippedBytes).toBe(garbage.length)
    expect(result.crcFailures).toBe(1)
  })

  it('skips leading junk before the first frame', () => {
    const result = decodeAll(2, [concat([0xaa, 0xbb], ...stream(2, 0, 3))])
    expect(result.frames).toEqual([0, 1, 2].map((i) => expectedFrame(2, i)))
    expect(result.skippedBytes).toBe(2)
  })

  it('counts each corrupted frame once and drops its bytes', () => {
    const frames = stream(4, 0, 10)
    frames[3][6] ^= 0x05
    frames[4][6] ^= 0x05
    const result = decodeAll(4, [concat(...frames)])
    expect(result.frames.map((frame) => frame.seq)).toEqual([0, 1, 2, 5, 6, 7, 8, 9])
    expect(result.frames[3]).toEqual(expectedFrame(4, 5))
    expect(result.crcFailures).toBe(2)
    expect(result.skippedBytes).toBe(2 * 7)
  })

  it('believes a sequence jump only once the next frame confirms it', () => {
    const decoder = new BitalinoFrameDecoder(3)
    const [f0, f1, f2, , , , f6, f7] = stream(3, 0, 8)
    const first = framesOf(decoder.push(concat(f0, f1, f2, f6)), 3)
    expect(first.map((frame) => frame.seq)).toEqual([0, 1, 2])
    expect(decoder.pending).toBe(6)
    const second = decoder.push(f7)
    expect(framesOf(second, 3)).toEqual([expectedFrame(3, 6), expectedFrame(3, 7)])
    expect(second.crcFailures + second.skippedBytes).toBe(0)
  })

  it('drops a frame with a valid CRC whose successor does not follow it', () => {
    // What bytes lost mid-frame can leave: a window that passes its CRC (1 in 16) with an unrelated number.
    const stray = packBitalinoFrame([1, 2, 3], 0, 9)
    const result = decodeAll(3, [concat(...stream(3, 0, 3), stray, ...stream(3, 3, 3))])
    expect(result.frames).toEqual([0, 1, 2, 3, 4, 5].map((i) => expectedFrame(3, i)))
    expect(result.skippedBytes).toBe(6)
    expect(result.crcFailures).toBe(0)
  })

  it('round-trips random frames through the firmware packing in random chunks', () => {
    const next = random(42)
    for (let channels = 1; channels <= 6; channels++) {
      const expected: Frame[] = []
      const parts: Uint8Array[] = []
      const firstSeq = Math.floor(next() * 16)
      for (let i = 0; i < 300; i++) {
        const adc10 = Array.from({ length: channels }, () => Math.floor(next() * 1024))
        const digital = Math.floor(next() * 16)
        const seq = (firstSeq + i) % 16
        parts.push(packBitalinoFrame(adc10, digital, seq))
        expected.push({ seq, digital, analog: adc10.map((adc, p) => (p < 4 ? adc : adc >> 4)) })
      }
      const bytes = concat(...parts)
      const chunks: Uint8Array[] = []
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(next() * 40)
        chunks.push(bytes.subarray(at, at + size))
        at += size
      }
      const result = decodeAll(channels, chunks)
      expect(result.frames).toEqual(expected)
      expect(result.crcFailures + result.skippedBytes + result.pending).toBe(0)
    }
  })
})

describe('BITalino commands', () => {
  it('builds the command bytes of the reference', () => {
    expect([1, 10, 100, 1000].map((rate) => samplingRateCommand(rate as 1 | 10 | 100 | 1000))).toEqual([
      0x03, 0x43, 0x83, 0xc3
    ])
    expect(() => samplingRateCommand(500 as 1)).toThrow(RangeError)
    // "A6 A5 A4 A3 A2 A1 0 1"
    expect(startLiveCommand(channelMask(['A1', 'A2', 'A3', 'A4', 'A5', 'A6']))).toBe(0b11111101)
    expect(startLiveCommand(channelMask(['A3', 'A1']))).toBe(0b00010101)
    expect(startLiveCommand(channelMask(['A6']))).toBe(0b10000001)
    expect(() => startLiveCommand(0)).toThrow(RangeError)
  })

  it('parses version strings and tells BITalino 2 firmware and its state length', () => {
    expect(parseBitalinoVersion('BITalino_v5.2\n')).toEqual({
      text: 'BITalino_v5.2',
      major: 5,
      minor: 2,
      bitalino2: true,
      stateLength: 17
    })
    expect(parseBitalinoVersion(concat([0x9b, 0x0a, 0x30], Buffer.from('BITalino_v5.1\n')))).toMatchObject({
      text: 'BITalino_v5.1',
      bitalino2: true,
      stateLength: 16
    })
    expect(parseBitalinoVersion('BITalino_v4.2\r\n')).toMatchObject({ major: 4, minor: 2, bitalino2: false })
    expect(parseBitalinoVersion('BITalino\n')).toMatchObject({ major: 0, bitalino2: false })
    expect(parseBitalinoVersion('ArduCounter V1.8\n')).toBeNull()
  })

  it('finds where a version reply or a foreign text line ends', () => {
    const reply = concat([0x0a, 0x41], Buffer.from('BITalino_v5.2\n'), [0x01])
    expect(versionReplyLength(reply)).toBe(16)
    expect(versionReplyLength(Buffer.from('BITalino_v5.'))).toBe(-1)
    expect(textLineLength(Buffer.from('12,34\t56\r\nmore'))).toBe(10)
    // A binary frame's newline is passed over, and a blank line: 9b 0a | ' ' \r \n | o k \n ends at byte 8.
    expect(textLineLength(concat([0x9b, 0x0a], Buffer.from(' \r\nok\n')))).toBe(8)
    expect(textLineLength(Buffer.from('no newline'))).toBe(-1)
  })

  it('parses state replies of 16 and 17 bytes, each worked out by hand', () => {
    // A1 = 1, A6 = 256, battery = 576, threshold 1, I1 on. Set bits k = 8(15-j) + b for byte j of 16:
    // j0.0 k120 -> 1, j11.0 k32 -> 4, j12.6 k30 -> 1, j13.1 k17 -> 4, j14.0 k8 -> 5, j15.7 k7 -> 11: CRC 14.
    const sixteen = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x40, 0x02, 1, 0x8e)
    expect(parseBitalinoState(sixteen)).toEqual({
      analog: [1, 0, 0, 0, 0, 256],
      battery: 576,
      batteryThreshold: 1,
      analogOutput: null,
      digital: 0b1000
    })
    // Firmware 5.2 adds the PWM byte (128) at j15; k = 8(16-j) + b: 128 -> 5, 40 -> 7, 38 -> 5, 25 -> 7,
    // 16 -> 2, j15.7 k15 -> 1, j16.7 k7 -> 11: CRC 8.
    const seventeen = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x40, 0x02, 1, 0x80, 0x88)
    expect(parseBitalinoState(seventeen)).toEqual({
      analog: [1, 0, 0, 0, 0, 256],
      battery: 576,
      batteryThreshold: 1,
      analogOutput: 128,
      digital: 0b1000
    })
    // What the official APIs do on 5.2: read 16 of the 17 bytes, and the CRC fails.
    expect(parseBitalinoState(seventeen.subarray(0, 16))).toBeNull()
    expect(parseBitalinoState(Uint8Array.of(...sixteen.subarray(0, 15), 0x8f))).toBeNull()
    expect(parseBitalinoState(sixteen.subarray(0, 15))).toBeNull()
  })
})

describe('BITalino transfer functions', () => {
  it('converts to physical units as worked out by hand', () => {
    // EDA: 512/1024 * 3.3 V = 1.65 V; / 0.132 = 12.5 µS. 32/64 is the same half scale on a 6-bit channel.
    expect(edaMicrosiemens(512, 10)).toBeCloseTo(12.5, 12)
    expect(edaMicrosiemens(32, 6)).toBeCloseTo(12.5, 12)
    expect(edaMicrosiemens(0, 10)).toBe(0)
    // ECG: 768/1024 = 0.75; (0.75 - 0.5) * 3.3 / 1100 * 1000 = 0.75 mV; 0 gives -1.65/1100*1000 = -1.5 mV.
    expect(ecgMillivolts(768, 10)).toBeCloseTo(0.75, 12)
    expect(ecgMillivolts(48, 6)).toBeCloseTo(0.75, 12)
    expect(ecgMillivolts(0, 10)).toBeCloseTo(-1.5, 12)
    expect(ecgMillivolts(512, 10)).toBe(0)
    // EMG: gain 1009, so 0 gives -1650/1009 mV.
    expect(emgMillivolts(0, 10)).toBeCloseTo(-1650 / 1009, 12)
    expect(emgMillivolts(1024 * 0.75, 10)).toBeCloseTo(825 / 1009, 12)
    // ACC: Cmin 400 -> -1 g, Cmax 608 -> +1 g, halfway 504 -> 0 g; 6-bit 25 and 38.
    expect(accG(400, 10)).toBe(-1)
    expect(accG(608, 10)).toBe(1)
    expect(accG(504, 10)).toBe(0)
    expect(accG(25, 6)).toBe(-1)
    expect(accG(38, 6)).toBe(1)
    expect(accG(500, 10, { min: 400, max: 600 })).toBe(0)
    // Raw counts on the 10-bit scale: 63 on a 6-bit channel is 63 * 16 = 1008.
    expect(adcCounts(63, 6)).toBe(1008)
    expect(adcCounts(700, 10)).toBe(700)
  })

  it('tabulates every reading of a channel', () => {
    const table = transferTable('eda', 6)
    expect(table).toHaveLength(64)
    expect(table[32]).toBe(Math.fround(12.5))
    const acc = transferTable('acc', 10)
    expect(acc).toHaveLength(1024)
    expect(acc[608]).toBe(1)
    expect(transferTable('ppg', 6)[1]).toBe(16)
  })
})
