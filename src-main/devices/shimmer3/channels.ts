import { DeviceProtocolError } from '../errors'

/**
 * How a channel's bytes read (JavaAPI UtilParseData; pyshimmer ChDataTypeAssignmentShimmer3): `u12` is a 12-bit
 * ADC value in two bytes, `*be` are big-endian ("i16r", "i24r" in the Java API), the rest little-endian.
 */
export type ChannelType = 'u8' | 'u12' | 'u16' | 'u16be' | 'i16' | 'i16be' | 'u24be' | 'i24be'

export interface ChannelSpec {
  id: number
  name: string
  type: ChannelType
  size: number
}

const SIZES: Record<ChannelType, number> = {
  u8: 1,
  u12: 2,
  u16: 2,
  u16be: 2,
  i16: 2,
  i16be: 2,
  u24be: 3,
  i24be: 3
}

/** The ids the GSR+ streams use. */
export const CHANNEL = {
  lowNoiseAccelX: 0x00,
  lowNoiseAccelY: 0x01,
  lowNoiseAccelZ: 0x02,
  battery: 0x03,
  internalA13: 0x12,
  gsr: 0x1c
} as const

/** Channel id to name and type, for Shimmer3 (not 3R, whose gyroscope is little-endian and ADCs 14-bit). */
const SHIMMER3_CHANNELS: ReadonlyMap<number, { name: string; type: ChannelType }> = new Map([
  [0x00, { name: 'lowNoiseAccelX', type: 'i16' }],
  [0x01, { name: 'lowNoiseAccelY', type: 'i16' }],
  [0x02, { name: 'lowNoiseAccelZ', type: 'i16' }],
  [0x03, { name: 'battery', type: 'i16' }],
  [0x04, { name: 'wideRangeAccelX', type: 'i16' }],
  [0x05, { name: 'wideRangeAccelY', type: 'i16' }],
  [0x06, { name: 'wideRangeAccelZ', type: 'i16' }],
  // The Java API reads the LSM303 magnetometer big-endian, pyshimmer little-endian (newer IMUs): only the
  // size matters here, nothing converts it.
  [0x07, { name: 'magnetometerX', type: 'i16be' }],
  [0x08, { name: 'magnetometerY', type: 'i16be' }],
  [0x09, { name: 'magnetometerZ', type: 'i16be' }],
  [0x0a, { name: 'gyroscopeX', type: 'i16be' }],
  [0x0b, { name: 'gyroscopeY', type: 'i16be' }],
  [0x0c, { name: 'gyroscopeZ', type: 'i16be' }],
  [0x0d, { name: 'externalA7', type: 'u12' }],
  [0x0e, { name: 'externalA6', type: 'u12' }],
  [0x0f, { name: 'externalA15', type: 'u12' }],
  [0x10, { name: 'internalA1', type: 'u12' }],
  [0x11, { name: 'internalA12', type: 'u12' }],
  [0x12, { name: 'internalA13', type: 'u12' }],
  [0x13, { name: 'internalA14', type: 'u12' }],
  // MPU9150 accelerometer and magnetometer: 16-bit registers; their byte order is not documented anywhere we read.
  [0x14, { name: 'mpuAccelX', type: 'i16' }],
  [0x15, { name: 'mpuAccelY', type: 'i16' }],
  [0x16, { name: 'mpuAccelZ', type: 'i16' }],
  [0x17, { name: 'mpuMagnetometerX', type: 'i16' }],
  [0x18, { name: 'mpuMagnetometerY', type: 'i16' }],
  [0x19, { name: 'mpuMagnetometerZ', type: 'i16' }],
  [0x1a, { name: 'bmpTemperature', type: 'u16be' }],
  [0x1b, { name: 'bmpPressure', type: 'u24be' }],
  [0x1c, { name: 'gsr', type: 'u16' }],
  [0x1d, { name: 'exg1Status', type: 'u8' }],
  [0x1e, { name: 'exg1Channel1', type: 'i24be' }],
  [0x1f, { name: 'exg1Channel2', type: 'i24be' }],
  [0x20, { name: 'exg2Status', type: 'u8' }],
  [0x21, { name: 'exg2Channel1', type: 'i24be' }],
  [0x22, { name: 'exg2Channel2', type: 'i24be' }],
  [0x23, { name: 'exg1Channel1Short', type: 'i16be' }],
  [0x24, { name: 'exg1Channel2Short', type: 'i16be' }],
  [0x25, { name: 'exg2Channel1Short', type: 'i16be' }],
  [0x26, { name: 'exg2Channel2Short', type: 'i16be' }],
  [0x27, { name: 'bridgeAmpHigh', type: 'u12' }],
  [0x28, { name: 'bridgeAmpLow', type: 'u12' }]
])

/** SET_SENSORS (0x08) bits: byte0 | byte1 << 8 | byte2 << 16. */
export const SENSOR_BITS = {
  lowNoiseAccel: 0x80,
  gyroscope: 0x40,
  magnetometer: 0x20,
  exg1Bits24: 0x10,
  exg2Bits24: 0x08,
  gsr: 0x04,
  externalA7: 0x02,
  externalA6: 0x01,
  bridgeAmp: 0x8000,
  battery: 0x2000,
  wideRangeAccel: 0x1000,
  externalA15: 0x0800,
  internalA1: 0x0400,
  internalA12: 0x0200,
  /** PPG on the GSR+ board. */
  internalA13: 0x0100,
  internalA14: 0x800000,
  mpuAccel: 0x400000,
  mpuMagnetometer: 0x200000,
  exg1Bits16: 0x100000,
  exg2Bits16: 0x080000,
  pressure: 0x040000
} as const

/** The three argument bytes of SET_SENSORS, little-endian. */
export function sensorBitmapBytes(bitmap: number): number[] {
  return [bitmap & 0xff, (bitmap >> 8) & 0xff, (bitmap >> 16) & 0xff]
}

/** GET_SHIMMER_VERSION (0x3F) answers. */
export const HARDWARE = { shimmer3: 3, shimmer3r: 10 } as const

/** GET_FW_VERSION (0x2E) firmware ids. */
export const FIRMWARE = { btStream: 1, sdLog: 2, logAndStream: 3 } as const

export function channelSpec(id: number, path: string): ChannelSpec {
  const known = SHIMMER3_CHANNELS.get(id)
  if (!known)
    throw new DeviceProtocolError(
      path,
      `the device lists channel 0x${hex(id)}, unknown to Shimmer3, so its packets cannot be parsed`
    )
  return { id, name: known.name, type: known.type, size: SIZES[known.type] }
}

/** Refuses anything but a Shimmer3: a 3R's inquiry and channel formats differ. */
export function checkHardwareVersion(version: number, path: string): void {
  if (version === HARDWARE.shimmer3) return
  if (version === HARDWARE.shimmer3r)
    throw new DeviceProtocolError(
      path,
      'this is a Shimmer3R (hardware version 10); only the Shimmer3 protocol is supported (its inquiry and channel formats differ)'
    )
  throw new DeviceProtocolError(path, `hardware version ${version} is not a Shimmer3 (3)`)
}

export interface Inquiry {
  /** Sampling period in 32768 Hz clock ticks. */
  ticks: number
  /** Config setup bytes 0-3, little-endian. */
  config: number
  internalExpansionPower: boolean
  /** 0-3 fixed, 4 auto. */
  gsrRange: number
  bufferSize: number
  /** In packet order. */
  channels: ChannelSpec[]
}

/** Bytes before the channel ids in the inquiry payload: ticks u16, config u32, channel count, buffer size. */
const INQUIRY_HEADER = 8

/** Length of an inquiry payload (after `FF 02`) once its channel count has arrived, else -1. */
export function inquiryPayloadLength(payload: Uint8Array): number {
  return payload.length > 6 ? INQUIRY_HEADER + payload[6] : -1
}

/** Reads an inquiry payload, the bytes after `FF 02`, in the Shimmer3 layout. */
export function parseInquiry(payload: Uint8Array, path: string): Inquiry {
  const length = inquiryPayloadLength(payload)
  if (length < 0 || payload.length < length)
    throw new DeviceProtocolError(path, `the inquiry reply is cut short (${payload.length} bytes)`)
  const ticks = payload[0] | (payload[1] << 8)
  if (ticks === 0) throw new DeviceProtocolError(path, 'the inquiry reports a sampling period of 0 ticks')
  const config = (payload[2] | (payload[3] << 8) | (payload[4] << 16) | (payload[5] << 24)) >>> 0
  const range = (config >>> 25) & 0x07
  const channels: ChannelSpec[] = []
  for (let i = INQUIRY_HEADER; i < length; i++) channels.push(channelSpec(payload[i], path))
  return {
    ticks,
    config,
    internalExpansionPower: ((config >>> 24) & 1) === 1,
    // The firmware takes a range above 4 as auto.
    gsrRange: Math.min(range, 4),
    bufferSize: payload[7],
    channels
  }
}

export function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0')
}
