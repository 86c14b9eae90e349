import type { DeviceProtocol } from '../ipc/contract/record'
import type { DisconnectedError } from './errors'
import { openSerialTransport, type ByteTransport } from './serial-transport'

/** One stream a device delivers, described as the study stores it. */
export interface DeviceStream {
  /** The stream's name in the study: the sensor (`eda`, `ecg`, `emg`, `acc`, `bvp`, `raw`) or the line protocol's. */
  name: string
  unit: string
  /** The rate the device was set to (for Shimmer3 the one its clock divider really gives). */
  rateHz: number
  channels: string[]
}

/** What a configured device will stream and what it said about itself (firmware, hardware). */
export interface DeviceDescription {
  streams: DeviceStream[]
  info: Record<string, string | number>
}

/**
 * New samples of one stream, in physical units. Times are on the device's own clock: milliseconds since the
 * first sample of this start(), from its sequence counter or timestamp and its rate, lost samples counted, so
 * that a gap shows as a jump. The recorder anchors them to the host clock.
 */
export interface DeviceSamples {
  kind: 'samples'
  stream: string
  deviceMs: Float64Array
  /** Channel-interleaved: sample i, channel c at i * channels + c. */
  values: Float32Array
}

/** Samples known to be missing between two received ones (a sequence or timestamp jump). */
export interface DeviceGap {
  kind: 'gap'
  /** Every stream of the device when absent. */
  stream?: string
  /** Device time of the last sample before and the first after the gap. */
  fromDeviceMs: number
  toDeviceMs: number
  missing: number
  cause: 'sequence' | 'timestamp'
}

/** Bad input, counted and shown, never stored: CRC failures, bytes skipped to resynchronise, lines that do not parse. */
export interface DeviceErrorCount {
  kind: 'error'
  cause: string
  count: number
  /** An example for the user, e.g. the line that did not parse (shortened). */
  detail?: string
}

/** The port went away; the device is closed and the recorder decides whether to reconnect. */
export interface DeviceDisconnected {
  kind: 'disconnected'
  error: DisconnectedError
}

export type DeviceEvent = DeviceSamples | DeviceGap | DeviceErrorCount | DeviceDisconnected

export type DeviceSink = (event: DeviceEvent) => void

/**
 * A sensor behind one protocol. The recorder calls open, configure, start, and at the end stop and close;
 * after a disconnect it makes a new device from the same settings and starts it again.
 */
export interface SensorDevice {
  readonly protocol: DeviceProtocol
  readonly path: string
  /** Opens the port (or the simulator). Throws PortOpenError. */
  open(): Promise<void>
  /** Checks the device answers as its protocol says (version, inquiry) and applies the settings. */
  configure(): Promise<DeviceDescription>
  /** Starts streaming; events go to the sink until stop(), close() or a disconnect. */
  start(sink: DeviceSink): Promise<void>
  /** Stops streaming; the port stays open. Never throws for a device already gone. */
  stop(): Promise<void>
  /** Closes the port. Safe at any time and more than once. */
  close(): Promise<void>
}

/** What every device constructor takes besides its settings: how to open its port (the real serialport by default). */
export interface DeviceOptions {
  openTransport?: (path: string, options: { baudRate: number }) => Promise<ByteTransport>
  /** How long a command may wait for its reply; protocols have their own defaults. */
  replyTimeoutMs?: number
}

/** Opens a device's port the way its options say (the real serialport by default) and wires both callbacks. */
export async function openDevicePort(
  path: string,
  baudRate: number,
  options: DeviceOptions,
  onData: (chunk: Buffer) => void,
  onDisconnect: (error: DisconnectedError) => void
): Promise<ByteTransport> {
  const transport = await (options.openTransport ?? openSerialTransport)(path, { baudRate })
  transport.onData(onData)
  transport.onDisconnect(onDisconnect)
  return transport
}
