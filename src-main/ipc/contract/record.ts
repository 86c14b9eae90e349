import { z } from 'zod'
import { defineCall } from './define'
import type { LiveModelView } from './live'

const id = z.number().int().positive()
/** A serial port path: /dev/ttyUSB0, /dev/rfcomm0, /dev/pts/3, COM3; `simulator` for the simulated wristband. */
const portPath = z.string().trim().min(1, 'a port path is required').max(260)
const baudRate = z.number().int().min(300).max(4_000_000)

export const BITALINO_CHANNELS = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'] as const
export type BitalinoChannel = (typeof BITALINO_CHANNELS)[number]
/** What sits on a BITalino channel; PPG is stored as the `bvp` stream, raw as ADC counts. */
export const BITALINO_SENSORS = ['eda', 'ecg', 'emg', 'acc', 'ppg', 'raw'] as const
export type BitalinoSensor = (typeof BITALINO_SENSORS)[number]
export const BITALINO_RATES = [1, 10, 100, 1000] as const

export const bitalinoSettings = z.object({
  protocol: z.literal('bitalino'),
  path: portPath,
  baudRate: baudRate.default(115200),
  rateHz: z.union([z.literal(1), z.literal(10), z.literal(100), z.literal(1000)]).default(1000),
  /** The analog channels to acquire, in any order; they are acquired (and framed) in ascending order. */
  channels: z
    .array(z.enum(BITALINO_CHANNELS))
    .min(1, 'choose at least one channel')
    .max(6)
    .refine((list) => new Set(list).size === list.length, 'a channel is listed twice')
    .default(['A1', 'A2', 'A3', 'A4', 'A5', 'A6']),
  /** Which sensor sits on which channel; a channel not named here is stored raw. */
  sensors: z.partialRecord(z.enum(BITALINO_CHANNELS), z.enum(BITALINO_SENSORS)).default({})
})

export const shimmer3Settings = z.object({
  protocol: z.literal('shimmer3'),
  path: portPath,
  baudRate: baudRate.default(115200),
  /** The device divides its 32768 Hz clock by a whole number, so the real rate is 32768 / round(32768 / rateHz). */
  rateHz: z.number().min(1).max(1024).default(128),
  /** 0-3 a fixed feedback resistor (40.2 kΩ, 287 kΩ, 1 MΩ, 3.3 MΩ), 4 the device's auto range. */
  gsrRange: z.number().int().min(0).max(4).default(4),
  gsr: z.boolean().default(true),
  ppg: z.boolean().default(true),
  accel: z.boolean().default(true)
})

export const linesSettings = z.object({
  protocol: z.literal('lines'),
  path: portPath,
  baudRate: baudRate.default(115200),
  /** Samples a second each line stands for; measured over the first second when absent. */
  rateHz: z.number().min(0.1).max(10_000).optional(),
  /** Channel names when the lines carry neither labels nor a header; default ch1, ch2, ... */
  channels: z.array(z.string().trim().min(1).max(64)).max(64).optional(),
  /** The stream's name in the study (e.g. `eda` so that a model reads it) and its unit. */
  stream: z.string().trim().min(1).max(64).default('lines'),
  unit: z.string().trim().max(32).default('')
})

export const simulatorSettings = z.object({
  protocol: z.literal('simulator'),
  path: z.literal('simulator').default('simulator'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional()
})

export const deviceSettingsSchema = z.discriminatedUnion('protocol', [
  bitalinoSettings,
  shimmer3Settings,
  linesSettings,
  simulatorSettings
])
export type DeviceSettings = z.output<typeof deviceSettingsSchema>
export type DeviceSettingsInput = z.input<typeof deviceSettingsSchema>
export type DeviceProtocol = DeviceSettings['protocol']
export type BitalinoSettings = z.output<typeof bitalinoSettings>
export type Shimmer3Settings = z.output<typeof shimmer3Settings>
export type LinesSettings = z.output<typeof linesSettings>
export type SimulatorSettings = z.output<typeof simulatorSettings>

/** A serial port as the OS lists it; the ids are absent where the OS does not give them. */
export interface SerialPortView {
  path: string
  manufacturer: string | null
  serialNumber: string | null
  vendorId: string | null
  productId: string | null
  pnpId: string | null
}

export type DeviceState = 'connecting' | 'streaming' | 'stalled' | 'disconnected' | 'stopped' | 'failed'

export interface RecordStreamView {
  name: string
  unit: string
  channels: string[]
  /** What the device was asked for. */
  nominalRateHz: number
  /** Samples over host time since the stream began; null before two seconds of it. */
  measuredRateHz: number | null
  /** The device clock against the host clock, parts per million (positive: the device runs fast). */
  driftPpm: number | null
  /** Samples committed to the study. */
  stored: number
  /** Samples received and not yet committed. */
  pending: number
  /** Samples known to be lost (sequence and timestamp gaps, disconnections). */
  lost: number
  gaps: number
}

export interface RecordDeviceView {
  index: number
  protocol: DeviceProtocol
  path: string
  state: DeviceState
  /** Why the device is in this state, when it is not plain streaming. */
  message: string | null
  /** What the device said about itself (firmware, hardware version, measured rate). */
  info: Record<string, string | number>
  streams: RecordStreamView[]
  /** Counts of bad input by cause (crc, resync bytes, unparsed lines, ...): counted and shown, never stored. */
  errors: Record<string, number>
  /** The last bad input, e.g. a line that did not parse. */
  lastError: string | null
  reconnects: number
}

export interface RecordStatusView {
  recording: boolean
  sessionId: number | null
  participantId: number | null
  participantCode: string | null
  startedMs: number | null
  elapsedMs: number
  devices: RecordDeviceView[]
  markers: number
  /** Hotkeys 1 to 9 put these markers. */
  markerPresets: string[]
  /** The live run that carries this recording's samples and predictions (`live.*` events). */
  liveId: number | null
  /** The model predicting live, or null when none is active: then nothing is predicted, everything is recorded. */
  model: LiveModelView | null
  /** Why the active model does not predict this recording (it reads streams these devices do not deliver); else null. */
  modelNote: string | null
  predictionsStored: number
  /** When samples last reached the study. */
  lastCommitMs: number | null
  /** Why the last recording ended when nobody asked it to (the disk filled, the study changed); else null. */
  stoppedBecause: string | null
}

export interface RecordMarkerView {
  id: number
  sessionId: number
  timeMs: number
  label: string
}

export const DEFAULT_MARKER_PRESETS = [
  'baseline start',
  'baseline end',
  'stimulus start',
  'stimulus end',
  'task start',
  'task end',
  'artifact',
  'movement',
  'talking'
]

export const recordCalls = {
  'devices.list': defineCall<SerialPortView[]>()(z.object({})),
  'record.start': defineCall<RecordStatusView>()(
    z.object({
      participantId: id,
      sessionName: z.string().trim().max(200).optional(),
      devices: z.array(deviceSettingsSchema).min(1, 'choose a device').max(8),
      /** A model to predict with; default the active one; null records without predicting. */
      modelId: id.nullable().optional(),
      markerPresets: z.array(z.string().trim().max(200)).max(9).optional()
    })
  ),
  'record.stop': defineCall<RecordStatusView>()(z.object({})),
  'record.status': defineCall<RecordStatusView>()(z.object({})),
  'record.marker': defineCall<RecordMarkerView>()(
    z.object({
      label: z.string().trim().min(1, 'a marker needs a label').max(200),
      /** Host time of the marker; default now. */
      timeMs: z.number().finite().optional()
    })
  )
}
