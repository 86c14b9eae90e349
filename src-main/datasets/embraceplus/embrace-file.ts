import { FileFormatError } from '../../errors'
import { checkRate, checkTime } from '../limits'
import { renderNumber, renderToken } from '../safe-text'
import { readContainer } from './avro-container'
import { KNOWN_VERSIONS, sessionType, versionText, type Version } from './schema'
import { EMBRACE_STREAMS, EMBRACE_UNITS, type EmbraceStreamKind } from './streams'
import { countScale, type ImuParams } from './units'

/** One sensor's samples in one file, in the stored unit, timed from its own start. */
export interface SensorPart {
  kind: EmbraceStreamKind
  /** The sensor's first sample, epoch ms (the file writes µs). */
  startMs: number
  /** The file's estimate; 0 when the file wrote 0 beside samples (the caller falls back, see sessions.ts). */
  rateHz: number
  count: number
  /** Channel-interleaved. */
  samples: Float32Array
  /** Samples left out (their slot is kept, so later times do not move): not a number, or outside the sensor's range. */
  dropped: Uint8Array | null
  /** Of those, the ones outside the sensor's range. */
  outOfRange: number
}

/** An EmbracePlus raw-data file, read and checked. */
export interface EmbraceFile {
  path: string
  name: string
  participant: string
  device: string
  deviceModel: string
  version: Version
  firmware: string
  /** Offset of the participant's local time from UTC, in seconds. */
  timezoneS: number
  sensors: SensorPart[]
  /** Streams the file carries but left empty (start 0, rate 0, no samples). */
  empty: string[]
  tagsMs: number[]
  /** Systolic-peak times in ns since 1970: beyond 2^53, so BigInt until differences are taken. */
  peaksNs: BigInt64Array
}

type Row = Record<string, unknown>

function field<T>(record: Row, name: string, file: string, where: string): T {
  if (!(name in record)) throw new FileFormatError(file, `${where} has no field ${name}`)
  return record[name] as T
}

function versionOf(value: unknown): Version {
  const v = value as Version
  return { major: v.major, minor: v.minor, patch: v.patch }
}

function epochMsOfMicros(us: bigint): number {
  // Whole µs fit a double exactly until the year 2255.
  return Number(us) / 1000
}

function readSensor(
  raw: Row,
  kind: EmbraceStreamKind,
  version: Version,
  file: string
): SensorPart | 'empty' | 'absent' {
  if (!(kind.field in raw)) return 'absent'
  const where = `rawData.${kind.field}`
  const record = raw[kind.field] as Row
  const arrays = kind.arrays.map((name) => field<ArrayLike<number>>(record, name, file, where))
  const count = arrays[0].length
  for (let a = 1; a < arrays.length; a++) {
    if (arrays[a].length !== count)
      throw new FileFormatError(
        file,
        `${where}: ${kind.arrays[0]} has ${count} samples but ${kind.arrays[a]} has ${arrays[a].length}`
      )
  }
  const startUs = field<bigint>(record, 'timestampStart', file, where)
  const rateHz = field<number>(record, 'samplingFrequency', file, where)
  if (count === 0) return 'empty'
  const startMs = epochMsOfMicros(startUs)
  checkTime(startMs, file, undefined, `${where}.timestampStart (µs)`, Number(startUs))
  if (rateHz !== 0) {
    checkRate(rateHz, file, undefined, `${where}.samplingFrequency`)
    checkTime(
      startMs + ((count - 1) * 1000) / rateHz,
      file,
      undefined,
      `at ${rateHz} Hz, the time of the last of ${count} samples in ${where}`
    )
  }
  const scale = kind.inertial
    ? countScale(field<ImuParams>(record, 'imuParams', file, where), version, file, kind.field)
    : 1
  const channels = arrays.length
  const samples = new Float32Array(count * channels)
  let dropped: Uint8Array | null = null
  let outOfRange = 0
  let first = 0
  const range = kind.range
  for (let c = 0; c < channels; c++) {
    const values = arrays[c]
    for (let i = 0; i < count; i++) {
      const value = values[i] * scale
      const outside = range !== undefined && (value < range.min || value > range.max)
      if (!Number.isFinite(value) || outside) {
        dropped ??= new Uint8Array(count)
        if (outside && !dropped[i] && outOfRange++ === 0) first = value
        dropped[i] = 1
      }
      samples[i * channels + c] = Math.fround(value)
    }
  }
  // Most of a stream outside what the sensor can produce is no glitch but a wrong unit or a damaged file.
  if (range && outOfRange * 2 > count)
    throw new FileFormatError(
      file,
      `${where}: ${outOfRange} of ${count} samples are outside ${range.min}..${range.max} ${EMBRACE_UNITS[kind.name]} (first ${renderNumber(first)}): a wrong unit or a damaged file?`
    )
  return { kind, startMs, rateHz, count, samples, dropped, outOfRange }
}

function ascending<T extends bigint>(values: T[], file: string, what: string): void {
  for (let i = 1; i < values.length; i++) {
    if (values[i] < values[i - 1])
      throw new FileFormatError(
        file,
        `${what} runs backwards at index ${i} (${values[i]} after ${values[i - 1]})`
      )
  }
}

/** Reads one raw-data file: every stream it carries, in stored units, or a FileFormatError naming it. */
export function readEmbraceFile(buffer: Buffer, path: string, name = path): EmbraceFile {
  const container = readContainer(buffer, path, (schema) => sessionType(schema, path))
  if (container.records.length !== 1)
    throw new FileFormatError(
      path,
      `holds ${container.records.length} records; an EmbracePlus file holds one`
    )
  const record = container.records[0] as Row
  const version = versionOf(field(record, 'schemaVersion', path, 'the record'))
  if (version.major !== 6 || version.minor < 3)
    throw new FileFormatError(
      path,
      `schema version ${versionText(version)}; this reader knows ${KNOWN_VERSIONS.join(', ')} (and later 6.x)`
    )
  const enrollment = field<Row>(record, 'enrollment', path, 'the record')
  const participant = String(field(enrollment, 'participantID', path, 'enrollment'))
  const device = String(field(record, 'deviceSn', path, 'the record'))
  if (participant.trim() === '') throw new FileFormatError(path, 'enrollment.participantID is empty')
  const timezoneS = field<number>(record, 'timezone', path, 'the record')
  // Offsets on Earth run from UTC-12 to UTC+14.
  if (!(Math.abs(timezoneS) <= 14 * 3600))
    throw new FileFormatError(path, `timezone ${timezoneS} s is no offset from UTC (-43200..50400)`)
  const raw = field<Row>(record, 'rawData', path, 'the record')
  const sensors: SensorPart[] = []
  const empty: string[] = []
  for (const kind of EMBRACE_STREAMS) {
    const part = readSensor(raw, kind, version, path)
    if (part === 'empty') empty.push(kind.name)
    else if (part !== 'absent') sensors.push(part)
  }
  const tagsUs = raw.tags ? field<bigint[]>(raw.tags as Row, 'tagsTimeMicros', path, 'rawData.tags') : []
  ascending(tagsUs, path, 'rawData.tags.tagsTimeMicros')
  const tagsMs = tagsUs.map((us) => {
    const ms = epochMsOfMicros(us)
    checkTime(ms, path, undefined, 'a tag time (µs)', Number(us))
    return ms
  })
  const peaks = raw.systolicPeaks
    ? field<bigint[]>(raw.systolicPeaks as Row, 'peaksTimeNanos', path, 'rawData.systolicPeaks')
    : []
  ascending(peaks, path, 'rawData.systolicPeaks.peaksTimeNanos')
  for (const ns of [peaks[0], peaks[peaks.length - 1]]) {
    if (ns !== undefined)
      checkTime(Number(ns / 1000n) / 1000, path, undefined, 'a systolic-peak time (ns)', Number(ns))
  }
  const model = record.deviceModel
  return {
    path,
    name,
    participant,
    device,
    deviceModel: typeof model === 'string' ? model : 'EMBRACEPLUS',
    version,
    firmware: versionText(versionOf(record.fwVersion ?? { major: 0, minor: 0, patch: 0 })),
    timezoneS,
    sensors,
    empty,
    tagsMs,
    peaksNs: BigInt64Array.from(peaks)
  }
}

/** A file's participant and device, for messages. */
export function fileOwner(file: EmbraceFile): string {
  return `${renderToken(file.participant, 64)} on ${renderToken(file.device, 32)}`
}
