import { basename } from 'node:path'
import { FileFormatError } from '../../errors'
import { readHeader, splitLine } from '../csv-reader'
import { checkTime, MAX_STORABLE } from '../limits'
import { renderList, renderToken } from '../safe-text'

/**
 * Empatica's digital biomarkers, aggregated per minute: one CSV per measure and day,
 * <id>_<YYYY-MM-DD>_<measure>.csv with timestamp_unix (ms), timestamp_iso, participant_full_id, the value
 * column(s) and missing_value_reason. A minute without a value says why in missing_value_reason; those
 * minutes are kept as a stream of their own (the reason coded), so "not worn" is not lost as a silent gap.
 */

export const BIOMARKER_RATE_HZ = 1 / 60

const BOOKKEEPING = new Set([
  'timestamp_unix',
  'timestamp_iso',
  'participant_full_id',
  'missing_value_reason'
])

/** Units of the value columns Empatica documents; others are stored without one. */
const UNITS: Record<string, string> = {
  pulse_rate_bpm: 'bpm',
  eda_scl_usiemens: 'uS',
  temperature_celsius: 'degC',
  prv_rmssd_ms: 'ms',
  respiratory_rate_brpm: 'brpm',
  accelerometers_std_g: 'g',
  step_counts: 'steps',
  wearing_detection_percentage: '%'
}

/** One CSV read: its measure, value columns, and rows. */
export interface BiomarkerFile {
  path: string
  name: string
  /** The device serial of the bucket folder the file sits in, where it sits in one. */
  device?: string
  measure: string
  participant: string
  columns: string[]
  timesMs: number[]
  /** Per column, the cell text of each row ('' where missing). */
  cells: string[][]
  /** missing_value_reason per row ('' where the row has values). */
  reasons: string[]
}

export function measureOf(path: string): string {
  const stem = basename(path).replace(/\.csv$/i, '')
  const at = stem.lastIndexOf('_')
  return at < 0 ? stem : stem.slice(at + 1)
}

export function readBiomarkerFile(buffer: Buffer, path: string, name: string): BiomarkerFile {
  const header = readHeader(buffer, path)
  const lower = header.names.map((cell) => cell.toLowerCase())
  const timeIndex = lower.indexOf('timestamp_unix')
  if (timeIndex < 0)
    throw new FileFormatError(
      path,
      `no timestamp_unix column (header: ${renderList(header.names)}): not an Empatica per-minute biomarker file`,
      1
    )
  const reasonIndex = lower.indexOf('missing_value_reason')
  const participantIndex = lower.indexOf('participant_full_id')
  const valueIndexes = lower.flatMap((cell, index) => (BOOKKEEPING.has(cell) || cell === '' ? [] : [index]))
  if (valueIndexes.length === 0)
    throw new FileFormatError(path, `no value column (header: ${renderList(header.names)})`, 1)
  const text = buffer.subarray(header.offset).toString('utf8')
  const lines = text.split('\n')
  const file: BiomarkerFile = {
    path,
    name,
    measure: measureOf(path),
    participant: '',
    columns: valueIndexes.map((index) => header.names[index]),
    timesMs: [],
    cells: valueIndexes.map(() => []),
    reasons: []
  }
  let previous = -Infinity
  lines.forEach((raw, k) => {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '') return
    const lineNumber = k + 2
    const cells = splitLine(line)
    if (cells.length !== header.names.length)
      throw new FileFormatError(
        path,
        `${cells.length} fields, the header has ${header.names.length}`,
        lineNumber
      )
    const ms = Number(cells[timeIndex])
    if (cells[timeIndex] === '' || !Number.isFinite(ms))
      throw new FileFormatError(
        path,
        `timestamp_unix is ${renderToken(cells[timeIndex])}, not a number`,
        lineNumber
      )
    checkTime(ms, path, lineNumber, 'timestamp_unix (ms)')
    if (ms <= previous)
      throw new FileFormatError(path, `time runs backwards: ${ms} ms after ${previous} ms`, lineNumber)
    previous = ms
    if (participantIndex >= 0 && file.participant === '') file.participant = cells[participantIndex]
    file.timesMs.push(ms)
    valueIndexes.forEach((index, c) => file.cells[c].push(cells[index]))
    file.reasons.push(reasonIndex >= 0 ? cells[reasonIndex] : '')
  })
  return file
}

/** A measure's rows over all its files (one per day), as streams: values, and the coded missing reasons. */
export interface BiomarkerStream {
  name: string
  unit: string
  channels: string[]
  times: Float64Array
  samples: Float32Array
}

function codes(values: Iterable<string>): Map<string, number> {
  return new Map([...new Set(values)].sort().map((value, index) => [value, index]))
}

function codeUnit(map: Map<string, number>): string {
  return [...map].map(([value, code]) => `${code}=${value}`).join(',')
}

/**
 * The streams of one measure: `bm_<measure>` with one channel per value column (a column of words, such
 * as activity_class, coded in alphabetical order, the codes in its unit), and `bm_<measure>_missing` with
 * the coded reason at each minute without a value. Rows are in time order over the files; a minute two
 * files both hold is kept once.
 */
export function biomarkerStreams(files: BiomarkerFile[]): {
  streams: BiomarkerStream[]
  missingMinutes: Map<string, number>
} {
  const measure = files[0].measure
  const columns = files[0].columns
  for (const file of files) {
    if (file.columns.join(',') !== columns.join(','))
      throw new FileFormatError(
        file.path,
        `columns ${renderList(file.columns)} differ from ${renderList(columns)} of ${files[0].name} (the same measure)`
      )
  }
  const rows: { ms: number; cells: string[]; reason: string }[] = []
  for (const file of files)
    file.timesMs.forEach((ms, i) =>
      rows.push({ ms, cells: file.cells.map((column) => column[i]), reason: file.reasons[i] })
    )
  rows.sort((a, b) => a.ms - b.ms)
  const unique = rows.filter((row, i) => i === 0 || row.ms !== rows[i - 1].ms)
  const numeric = columns.map((_, c) =>
    unique.every((row) => row.cells[c] === '' || Number.isFinite(Number(row.cells[c])))
  )
  const wordCodes = columns.map((_, c) =>
    numeric[c] ? undefined : codes(unique.map((row) => row.cells[c]).filter((cell) => cell !== ''))
  )
  const valued = unique.filter((row) => row.cells.every((cell) => cell !== ''))
  const missing = unique.filter((row) => row.cells.some((cell) => cell === ''))
  const values = new Float32Array(valued.length * columns.length)
  valued.forEach((row, i) =>
    row.cells.forEach((cell, c) => {
      const value = wordCodes[c] ? wordCodes[c]!.get(cell)! : Number(cell)
      if (!(Math.abs(value) <= MAX_STORABLE)) {
        const file = files.find((candidate) => candidate.timesMs.includes(row.ms))!
        throw new FileFormatError(
          file.path,
          `${columns[c]} ${renderToken(cell)} at ${row.ms} ms cannot be stored`
        )
      }
      values[i * columns.length + c] = value
    })
  )
  const unit =
    columns.length === 1
      ? wordCodes[0]
        ? codeUnit(wordCodes[0])
        : (UNITS[columns[0].toLowerCase()] ?? '')
      : columns
          .map((column, c) =>
            wordCodes[c] ? `${column}: ${codeUnit(wordCodes[c]!)}` : (UNITS[column.toLowerCase()] ?? '')
          )
          .filter((u) => u !== '')
          .join('; ')
  const streams: BiomarkerStream[] = []
  const name = `bm_${measure.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase()}`
  if (valued.length > 0)
    streams.push({
      name,
      unit,
      channels: columns.map((column) => column.toLowerCase()),
      times: Float64Array.from(valued, (row) => row.ms),
      samples: values
    })
  const missingMinutes = new Map<string, number>()
  for (const row of missing)
    missingMinutes.set(
      row.reason || '(no reason given)',
      (missingMinutes.get(row.reason || '(no reason given)') ?? 0) + 1
    )
  if (missing.length > 0) {
    const reasons = codes(missing.map((row) => row.reason || '(no reason given)'))
    streams.push({
      name: `${name}_missing`,
      unit: codeUnit(reasons),
      channels: ['reason'],
      times: Float64Array.from(missing, (row) => row.ms),
      samples: Float32Array.from(missing, (row) => reasons.get(row.reason || '(no reason given)')!)
    })
  }
  return { streams, missingMinutes }
}
