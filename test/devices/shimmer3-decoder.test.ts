import { describe, expect, it } from 'vitest'
import { DeviceProtocolError } from '../../src-main/devices/errors'
import {
  channelSpec,
  checkHardwareVersion,
  parseInquiry,
  SENSOR_BITS,
  sensorBitmapBytes,
  type ChannelSpec
} from '../../src-main/devices/shimmer3/channels'
import {
  AccelConverter,
  batteryMillivolts,
  gsrMicrosiemens,
  gsrRangeOf,
  ppgMillivolts,
  rateForTicks,
  ticksForRate,
  TimestampUnwrapper
} from '../../src-main/devices/shimmer3/conversion'
import { PacketDecoder, type DecodedChunk } from '../../src-main/devices/shimmer3/packet-decoder'

const channels = (...ids: number[]): ChannelSpec[] => ids.map((id) => channelSpec(id, '/dev/test'))
/** The typical GSR+ set: LN accel X Y Z, VBATT, A13 (PPG), GSR; 1 + 3 + 6 × 2 = 16 bytes a packet. */
const GSR_PLUS = channels(0x00, 0x01, 0x02, 0x03, 0x12, 0x1c)

// prettier-ignore
const A = [
  0x00,             // data packet
  0x56, 0x34, 0x12, // timestamp 0x123456, little-endian
  0xff, 0x07,       // accel X 0x07FF = 2047
  0x52, 0x08,       // accel Y 0x0852 = 2130
  0xac, 0x07,       // accel Z 0x07AC = 1964
  0xaa, 0x0a,       // VBATT   0x0AAA = 2730
  0x55, 0x05,       // A13     0x0555 = 1365
  0xaa, 0x8a        // GSR     0x8AAA: range bits 10 = 2, ADC 0xAAA = 2730
]
const A_VALUES = [2047, 2130, 1964, 2730, 1365, 0x8aaa]
// prettier-ignore
const B = [
  0x00,
  0x96, 0x34, 0x12, // 0x123456 + 64 = 0x123496
  0x52, 0x08,       // 2130
  0xff, 0x07,       // 2047
  0xff, 0x07,       // 2047
  0x28, 0x0a,       // 0x0A28 = 2600
  0xaa, 0x0a,       // 2730
  0x55, 0x05        // GSR 0x0555: range 0, ADC 1365
]
const B_VALUES = [2130, 2047, 2047, 2600, 2730, 0x0555]
// prettier-ignore
const C = [
  0x00,
  0xd6, 0x34, 0x12, // 0x123496 + 64 = 0x1234D6
  0x00, 0x08,       // 0x0800 = 2048
  0x01, 0x08,       // 2049
  0x02, 0x08,       // 2050
  0x00, 0x0a,       // 2560
  0xff, 0x0f,       // 4095
  0xff, 0xcf        // GSR 0xCFFF: range 3, ADC 4095
]
const C_VALUES = [2048, 2049, 2050, 2560, 4095, 0xcfff]

interface Totals {
  timestamps: number[]
  values: number[][]
  acks: number
  nacks: number
  responses: { id: number; payload: number[] }[]
  skipped: number
}

function collect(decoder: PacketDecoder, chunks: number[][]): Totals {
  const totals: Totals = { timestamps: [], values: [], acks: 0, nacks: 0, responses: [], skipped: 0 }
  for (const chunk of chunks) add(totals, decoder.push(Buffer.from(chunk)))
  return totals
}

function add(totals: Totals, chunk: DecodedChunk): void {
  const stride = chunk.count ? chunk.values.length / chunk.count : 0
  for (let i = 0; i < chunk.count; i++) {
    totals.timestamps.push(chunk.timestamps[i])
    totals.values.push([...chunk.values.subarray(i * stride, (i + 1) * stride)])
  }
  totals.acks += chunk.acks
  totals.nacks += chunk.nacks
  totals.skipped += chunk.skipped
  for (const response of chunk.responses)
    totals.responses.push({ id: response.id, payload: [...response.payload] })
}

describe('Shimmer3 packet decoder', () => {
  it('reads the typical GSR+ 16-byte packet', () => {
    const decoder = new PacketDecoder(GSR_PLUS)
    expect(decoder.frameLength).toBe(16)
    const out = decoder.push(Buffer.from(A))
    // The packet ends exactly where the bytes do and starts the stream: accepted without waiting.
    expect(out.count).toBe(1)
    expect(out.timestamps[0]).toBe(0x123456)
    expect([...out.values]).toEqual(A_VALUES)
    expect(decoder.pending).toBe(0)
  })

  it('gives the same packets whatever the chunking: split at every offset, and byte by byte', () => {
    const stream = [...A, ...B, ...C]
    for (let cut = 1; cut < stream.length; cut++) {
      const totals = collect(new PacketDecoder(GSR_PLUS), [stream.slice(0, cut), stream.slice(cut)])
      expect(totals.timestamps, `cut at ${cut}`).toEqual([0x123456, 0x123496, 0x1234d6])
      expect(totals.values, `cut at ${cut}`).toEqual([A_VALUES, B_VALUES, C_VALUES])
      expect(totals.skipped, `cut at ${cut}`).toBe(0)
    }
    const bytewise = collect(
      new PacketDecoder(GSR_PLUS),
      stream.map((byte) => [byte])
    )
    expect(bytewise.values).toEqual([A_VALUES, B_VALUES, C_VALUES])
    expect(bytewise.skipped).toBe(0)
  })

  it('holds a partial packet until the rest arrives', () => {
    const decoder = new PacketDecoder(GSR_PLUS)
    expect(decoder.push(Buffer.from(A.slice(0, 10))).count).toBe(0)
    expect(decoder.pending).toBe(10)
    const out = decoder.push(Buffer.from(A.slice(10)))
    expect(out.count).toBe(1)
    expect(decoder.pending).toBe(0)
  })

  it('drops garbage, and the packet it follows, as the Java resync rule does', () => {
    // A is followed by 0x13, which starts nothing: A is suspect and dropped with the garbage (16 + 2 bytes).
    // B is confirmed by C's 0x00; C ends the bytes right after a confirmed packet, so it is taken at once.
    const totals = collect(new PacketDecoder(GSR_PLUS), [[...A, 0x13, 0x37, ...B, ...C]])
    expect(totals.values).toEqual([B_VALUES, C_VALUES])
    expect(totals.skipped).toBe(18)
  })

  it('waits for the byte after a packet while resynchronising', () => {
    const decoder = new PacketDecoder(GSR_PLUS)
    expect(decoder.push(Buffer.from(A)).count).toBe(1)
    // Garbage, then B ending the chunk: B's start is not confirmed, so it waits.
    const held = decoder.push(Buffer.from([0x13, 0x37, ...B]))
    expect(held.count).toBe(0)
    expect(held.skipped).toBe(2)
    expect(decoder.pending).toBe(16)
    // C's 0x00 confirms B; C follows a confirmed packet and ends the bytes.
    const out = decoder.push(Buffer.from(C))
    expect([...out.timestamps]).toEqual([0x123496, 0x1234d6])
  })

  it('rejects a garbage 0x00 that looks like a header by the byte after it', () => {
    // A is followed by 0x00 (garbage), so A passes. The garbage 0x00 at 16 would end at 32, where B's byte
    // 14 (0x55) is: rejected. 0x42 is skipped; B then waits for the byte after it, which C brings.
    const decoder = new PacketDecoder(GSR_PLUS)
    const first = decoder.push(Buffer.from([...A, 0x00, 0x42, ...B]))
    expect([...first.timestamps]).toEqual([0x123456])
    expect(first.skipped).toBe(2)
    const second = decoder.push(Buffer.from(C))
    expect([...second.timestamps]).toEqual([0x123496, 0x1234d6])
  })

  it('counts the START ACK before the first packet and the STOP ACK glued to the last', () => {
    const totals = collect(new PacketDecoder(GSR_PLUS), [[0xff, ...A, ...B, 0xff]])
    expect(totals.values).toEqual([A_VALUES, B_VALUES])
    expect(totals.acks).toBe(2)
    expect(totals.skipped).toBe(0)
  })

  it('counts a NACK', () => {
    const totals = collect(new PacketDecoder(GSR_PLUS), [[...A, 0xfe]])
    // 0xFE after a packet does not confirm it (only 0x00 and 0xFF do): in one chunk A is dropped with it.
    expect(totals.values).toEqual([])
    expect(totals.skipped).toBe(17)
    const aligned = collect(new PacketDecoder(GSR_PLUS), [A, [0xfe]])
    expect(aligned.values).toEqual([A_VALUES])
    expect(aligned.nacks).toBe(1)
  })

  it('reads an unsolicited FF 8A 71 status amid packets without losing either', () => {
    const totals = collect(new PacketDecoder(GSR_PLUS), [[...A, 0xff, 0x8a, 0x71, 0x20, ...B]])
    expect(totals.values).toEqual([A_VALUES, B_VALUES])
    expect(totals.responses).toEqual([{ id: 0x71, payload: [0x20] }])
    expect(totals.acks).toBe(0)
    expect(totals.skipped).toBe(0)
  })

  it('reads a status split inside it, and one split after its 0xFF (then counting one ACK too many)', () => {
    const inside = collect(new PacketDecoder(GSR_PLUS), [
      [...A, 0xff, 0x8a],
      [0x71, 0x21, ...B]
    ])
    expect(inside.values).toEqual([A_VALUES, B_VALUES])
    expect(inside.responses).toEqual([{ id: 0x71, payload: [0x21] }])
    expect(inside.acks).toBe(0)
    const after = collect(new PacketDecoder(GSR_PLUS), [
      [...A, 0xff],
      [0x8a, 0x71, 0x21, ...B]
    ])
    expect(after.values).toEqual([A_VALUES, B_VALUES])
    expect(after.responses).toEqual([{ id: 0x71, payload: [0x21] }])
    expect(after.acks).toBe(1)
    expect(after.skipped).toBe(0)
  })

  it('takes 0x8A after a packet when the prefix is off (A3 00)', () => {
    const bare = [...A, 0x8a, 0x71, 0x20, ...B]
    const off = collect(new PacketDecoder(GSR_PLUS, { instreamPrefix: false }), [bare])
    expect(off.values).toEqual([A_VALUES, B_VALUES])
    expect(off.responses).toEqual([{ id: 0x71, payload: [0x20] }])
    // With the prefix on, a bare 0x8A after a packet is not expected: A is dropped with it.
    const on = collect(new PacketDecoder(GSR_PLUS), [bare, C])
    expect(on.values).toEqual([B_VALUES, C_VALUES])
    expect(on.skipped).toBe(16 + 3)
  })

  it('reads a battery response (8A 94, 3 bytes)', () => {
    const totals = collect(new PacketDecoder(GSR_PLUS), [[...A, 0xff, 0x8a, 0x94, 0x28, 0x0a, 0x40, ...B]])
    expect(totals.responses).toEqual([{ id: 0x94, payload: [0x28, 0x0a, 0x40] }])
    expect(totals.values).toEqual([A_VALUES, B_VALUES])
  })

  it('reads 2-byte timestamps of old firmware', () => {
    const decoder = new PacketDecoder(channels(0x1c), { timestampBytes: 2 })
    expect(decoder.frameLength).toBe(5)
    // 00 | ts 0xFF80 | GSR 0x4123 (range 1, ADC 0x123); 00 | ts 0x0000 (wrapped) | GSR 0x4124
    const totals = collect(decoder, [[0x00, 0x80, 0xff, 0x23, 0x41, 0x00, 0x00, 0x00, 0x24, 0x41]])
    expect(totals.timestamps).toEqual([0xff80, 0x0000])
    expect(totals.values).toEqual([[0x4123], [0x4124]])
  })

  it('reads each channel type with its size, sign and byte order', () => {
    // gyro X i16 BE, pressure u24 BE, ExG1 ch1 i24 BE, ExG1 status u8, WR accel X i16 LE, A7 u12 LE
    const decoder = new PacketDecoder(channels(0x0a, 0x1b, 0x1e, 0x1d, 0x04, 0x0d))
    expect(decoder.frameLength).toBe(1 + 3 + 2 + 3 + 3 + 1 + 2 + 2)
    // prettier-ignore
    const packet = [
      0x00, 0x01, 0x00, 0x00,
      0xff, 0xfe,       // -2, big-endian
      0x01, 0x23, 0x45, // 0x012345 = 74565
      0xff, 0xff, 0xff, // -1
      0x80,             // 128
      0xd4, 0xfe,       // 0xFED4 = -300, little-endian
      0xff, 0x0f        // 4095
    ]
    const out = decoder.push(Buffer.from(packet))
    expect([...out.values]).toEqual([-2, 74565, -1, 128, -300, 4095])
  })
})

describe('Shimmer3 channels and inquiry', () => {
  it('parses the inquiry in the Shimmer3 layout', () => {
    // prettier-ignore
    const payload = Buffer.from([
      0x00, 0x01,             // 256 ticks: 128 Hz
      0x00, 0x00, 0x00, 0x09, // config byte 3 = 0b1001: bit 0 expansion power on, bits 1-3 GSR range 4 (auto)
      0x06,                   // 6 channels
      0x01,                   // buffer size
      0x00, 0x01, 0x02, 0x03, 0x12, 0x1c
    ])
    const inquiry = parseInquiry(payload, '/dev/test')
    expect(inquiry.ticks).toBe(256)
    expect(rateForTicks(inquiry.ticks)).toBe(128)
    expect(inquiry.internalExpansionPower).toBe(true)
    expect(inquiry.gsrRange).toBe(4)
    expect(inquiry.bufferSize).toBe(1)
    expect(inquiry.channels.map((channel) => channel.id)).toEqual([0x00, 0x01, 0x02, 0x03, 0x12, 0x1c])
    expect(inquiry.channels.map((channel) => channel.name)).toEqual([
      'lowNoiseAccelX',
      'lowNoiseAccelY',
      'lowNoiseAccelZ',
      'battery',
      'internalA13',
      'gsr'
    ])
    // Range 1 fixed, power off: byte 3 = 0b0010.
    const fixed = parseInquiry(Buffer.from([0x40, 0x00, 0, 0, 0, 0x02, 0x01, 0x01, 0x1c]), '/dev/test')
    expect(fixed).toMatchObject({ ticks: 64, gsrRange: 1, internalExpansionPower: false })
    // Range 7 is taken as auto, as the firmware does.
    expect(parseInquiry(Buffer.from([0x40, 0x00, 0, 0, 0, 0x0e, 0x00, 0x01]), '/dev/test').gsrRange).toBe(4)
  })

  it('refuses an unknown channel id, a cut-short inquiry and a Shimmer3R', () => {
    expect(() => parseInquiry(Buffer.from([0x40, 0x00, 0, 0, 0, 0, 0x01, 0x01, 0x3f]), '/dev/x')).toThrow(
      /channel 0x3F, unknown/
    )
    expect(() => parseInquiry(Buffer.from([0x40, 0x00, 0, 0, 0, 0, 0x03, 0x01, 0x1c]), '/dev/x')).toThrow(
      DeviceProtocolError
    )
    expect(() => checkHardwareVersion(10, '/dev/x')).toThrow(/Shimmer3R/)
    expect(() => checkHardwareVersion(2, '/dev/x')).toThrow(DeviceProtocolError)
    expect(() => checkHardwareVersion(3, '/dev/x')).not.toThrow()
  })

  it('builds the SET_SENSORS bitmap bytes', () => {
    // The reference's typical GSR+ set: LN accel 0x80 + VBATT 0x2000 + A13 0x0100 + GSR 0x04 = 08 84 21 00.
    const bitmap = SENSOR_BITS.lowNoiseAccel | SENSOR_BITS.battery | SENSOR_BITS.internalA13 | SENSOR_BITS.gsr
    expect(sensorBitmapBytes(bitmap)).toEqual([0x84, 0x21, 0x00])
    expect(sensorBitmapBytes(SENSOR_BITS.internalA14)).toEqual([0x00, 0x00, 0x80])
  })

  it('turns rates into clock ticks and back', () => {
    expect(ticksForRate(51.2)).toBe(640)
    expect(ticksForRate(128)).toBe(256)
    expect(ticksForRate(512)).toBe(64)
    expect(ticksForRate(1024)).toBe(32)
    expect(ticksForRate(1)).toBe(32768)
    // 32768 / 100 = 327.68, rounded to 328: 99.90 Hz really.
    expect(ticksForRate(100)).toBe(328)
    expect(rateForTicks(328)).toBeCloseTo(99.9024, 4)
  })
})

describe('Shimmer3 conversions', () => {
  // Before clamps, G = 1000 / R = 1000 · (V / 0.5 − 1) / Rf with V = adc · 3 / 4095, i.e. (6 · adc / 4095 − 1).
  // adc 1365: 6 · 1365 / 4095 = 2, so R = Rf. adc 2730: 4, R = Rf / 3. adc 4095: 6, R = Rf / 5.
  it('converts GSR per fixed range with the range clamps', () => {
    expect(gsrMicrosiemens(1365, 0)).toBeCloseTo(1000 / 40.2, 6) // 40.2 kΩ within 8-63
    expect(gsrMicrosiemens(1365, 1)).toBeCloseTo(1000 / 220, 6) // 287 kΩ, clamped to 220
    expect(gsrMicrosiemens(1365, 2)).toBeCloseTo(1000 / 680, 6) // 1 MΩ, clamped to 680
    expect(gsrMicrosiemens(1365, 3)).toBeCloseTo(1000 / 3300, 6) // 3.3 MΩ within 680-4700
    expect(gsrMicrosiemens(2730, 0)).toBeCloseTo(3000 / 40.2, 6) // 13.4 kΩ: 74.6269 µS
    expect(gsrMicrosiemens(2730, 1)).toBeCloseTo(3000 / 287, 6) // 95.67 kΩ: 10.4530 µS
    expect(gsrMicrosiemens(2730, 2)).toBeCloseTo(3, 6) // 333.3 kΩ
    expect(gsrMicrosiemens(2730, 3)).toBeCloseTo(3000 / 3300, 6) // 1.1 MΩ
    expect(gsrMicrosiemens(4095, 0)).toBeCloseTo(5000 / 40.2, 6) // 8.04 kΩ, just above 8
    expect(gsrMicrosiemens(4095, 1)).toBeCloseTo(1000 / 63, 6) // 57.4 kΩ, clamped up to 63
    // At or below 0.5 V (adc 500: 6 · 500 / 4095 − 1 < 0) R is negative and clamps to the range's minimum.
    expect(gsrMicrosiemens(500, 2)).toBeCloseTo(1000 / 220, 6)
    // Range 3 first lifts the ADC to 683: 6 · 683 / 4095 − 1 = 3 / 4095, R = 3300 · 4095 / 3 = 4504.5 MΩ,
    // clamped to 4.7 MΩ.
    expect(gsrMicrosiemens(100, 3)).toBeCloseTo(1000 / 4700, 6)
  })

  it('converts GSR on auto range with the packet range bits and only the 8 kΩ floor', () => {
    expect(gsrRangeOf(0x8aaa, 4)).toBe(2)
    expect(gsrRangeOf(0x8aaa, 0)).toBe(0)
    expect(gsrMicrosiemens(0x8aaa, 4)).toBeCloseTo(3, 6) // range 2, adc 2730: 1000 / 3 kΩ
    expect(gsrMicrosiemens(0x8aaa, 0)).toBeCloseTo(3000 / 40.2, 6) // a fixed setting ignores the bits
    expect(gsrMicrosiemens((1 << 14) | 4095, 4)).toBeCloseTo(5000 / 287, 6) // 57.4 kΩ, no upper clamp
    expect(gsrMicrosiemens((3 << 14) | 100, 4)).toBeCloseTo((3 / 3300 / 4095) * 1000, 9) // 4504.5 MΩ, no clamp
    expect(gsrMicrosiemens(500, 4)).toBeCloseTo(125, 6) // range 0, negative R: floored at 8 kΩ
  })

  it('converts PPG and battery to mV', () => {
    expect(ppgMillivolts(2730)).toBeCloseTo(2000, 9) // 2730 · 3000 / 4095
    expect(ppgMillivolts(1365)).toBeCloseTo(1000, 9)
    expect(ppgMillivolts(4095)).toBeCloseTo(3000, 9)
    expect(batteryMillivolts(2730)).toBeCloseTo(4000, 9) // through the divider by 2
  })

  it('converts the low-noise accelerometer with the KXRB5-2042 default calibration', () => {
    // a = R⁻¹ · K⁻¹ · (u − 2047) with K = 83 and R = [[0,−1,0],[−1,0,0],[0,0,−1]] (its own inverse):
    // a_x = −(u_y − 2047) / 83, a_y = −(u_x − 2047) / 83, a_z = −(u_z − 2047) / 83.
    const converter = new AccelConverter()
    const out = new Float32Array(6)
    converter.convert(2047, 2130, 1964, out, 0) // u − b = (0, 83, −83)
    converter.convert(2213, 2047, 2047, out, 3) // u − b = (166, 0, 0)
    expect([...out]).toEqual([-1, 0, 1, 0, -2, 0])
  })

  it('applies a device calibration: the inverse alignment, and each axis its own sensitivity', () => {
    // R maps (x, y, z) to (y, z, x); R⁻¹ = Rᵀ. K⁻¹ · (100, 100, 100) = (1, 2, 4); R⁻¹ · (1, 2, 4) = (4, 1, 2).
    const converter = new AccelConverter({
      offset: [0, 0, 0],
      sensitivity: [100, 50, 25],
      alignment: [0, 1, 0, 0, 0, 1, 1, 0, 0]
    })
    const out = new Float32Array(3)
    converter.convert(100, 100, 100, out, 0)
    expect([...out]).toEqual([4, 1, 2])
  })
})

describe('Shimmer3 timestamp unwrapping', () => {
  it('crosses the 24-bit roll-over, where exactly 0x000000 is the next expected value', () => {
    const unwrapper = new TimestampUnwrapper(64)
    const elapsed: number[] = []
    for (const raw of [0xffff80, 0xffffc0, 0x000000, 0x000040]) {
      expect(unwrapper.next(raw)).toBe('accepted')
      expect(unwrapper.missing).toBe(0)
      elapsed.push(unwrapper.elapsed)
    }
    expect(elapsed).toEqual([0, 64, 128, 192])
    // 0x40 -> 0x140 is 4 periods: 3 packets lost.
    expect(unwrapper.next(0x000140)).toBe('accepted')
    expect(unwrapper.missing).toBe(3)
    expect(unwrapper.elapsed).toBe(448)
  })

  it('drops duplicates, small steps back and the invalid 0x000000', () => {
    const unwrapper = new TimestampUnwrapper(64)
    expect(unwrapper.next(0)).toBe('invalid') // nothing before it: never a valid first timestamp
    expect(unwrapper.next(0x000100)).toBe('accepted')
    expect(unwrapper.next(0x000140)).toBe('accepted')
    expect(unwrapper.next(0x000140)).toBe('duplicate')
    expect(unwrapper.next(0x000100)).toBe('backward') // not a wrap of +512 s
    expect(unwrapper.next(0x000000)).toBe('invalid') // 0x180 was due
    expect(unwrapper.next(0x000180)).toBe('accepted')
    expect(unwrapper.elapsed).toBe(0x80)
    expect(unwrapper.missing).toBe(0)
  })

  it('believes a long jump only when the next timestamp follows it', () => {
    const unwrapper = new TimestampUnwrapper(64)
    unwrapper.next(0x000140)
    // 0x800000 is 256 s ahead: a misread packet until confirmed. The next follows the old timeline: discarded.
    expect(unwrapper.next(0x800000)).toBe('jump')
    expect(unwrapper.next(0x000180)).toBe('accepted')
    expect(unwrapper.elapsed).toBe(64)
    // Now a real jump, confirmed by its successor: (0x100000 − 0x180) + 0x40 = 1048256 ticks = 16379 periods.
    expect(unwrapper.next(0x100000)).toBe('jump')
    expect(unwrapper.next(0x100040)).toBe('accepted')
    expect(unwrapper.elapsed).toBe(64 + 1048256)
    expect(unwrapper.missing).toBe(16378)
    // A 5 s gap (163840 ticks, 2560 periods) is under the 10 s limit: taken at once.
    expect(unwrapper.next(0x100040 + 163840)).toBe('accepted')
    expect(unwrapper.missing).toBe(2559)
  })

  it('wraps a 16-bit counter every 2 s', () => {
    const unwrapper = new TimestampUnwrapper(640, 16)
    unwrapper.next(0xfe00)
    // 0xFE00 + 640 = 65664 = 65536 + 128
    expect(unwrapper.next(0x0080)).toBe('accepted')
    expect(unwrapper.elapsed).toBe(640)
  })
})
