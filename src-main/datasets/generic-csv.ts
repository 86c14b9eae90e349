import { basename } from 'node:path'
import { FileFormatError, ValidationError } from '../errors'
import type { ImportedStream, ImportPlan } from '../store/import-writer'
import { readNamedColumns } from './csv-reader'
import { e4StreamByName } from './e4-streams'
import {
  addStream,
  importPlan,
  measuredRate,
  participantReport,
  round,
  streamReport,
  type ImportReport
} from './import-report'
import {
  checkTime,
  gapProblem,
  isPlausibleTime,
  MAX_RATE_HZ,
  MIN_RATE_HZ,
  screenRange,
  type PhysicalRange
} from './limits'
import { renderNumber } from './safe-text'
import { MAX_LAB_CSV_BYTES, SourceFiles } from './source-files'
import { timesAreSeconds } from './time-series'

/** How a lab-made CSV maps onto one stream. */
export interface CsvMapping {
  participant: string
  /** Stream name in the study (e.g. "eda"). */
  stream: string
  /** Value columns, by header name; each becomes a channel. */
  columns: string[]
  unit: string
  /** Either a time column ... */
  timeColumn?: string
  /** ... or a fixed rate with a start time. */
  rateHz?: number
  /** Epoch ms of the first row (with rateHz), or the zero of a time column that counts from the start. */
  startMs?: number
  /** Unit of the time column; 'auto' decides epoch seconds vs ms by magnitude. */
  timeUnit?: 's' | 'ms' | 'auto'
  sessionName?: string
  timezone?: string
}

/** Times below this (about 11.5 days in ms) are offsets from a start, not epoch times. */
const RELATIVE_LIMIT_MS = 1e9

/** A start time given with the mapping is the caller's (a form field), so a bad one names the field. */
function checkStart(startMs: number): void {
  if (!isPlausibleTime(startMs)) {
    throw new ValidationError(
      `the start time ${renderNumber(startMs)} ms is not a time between 2000 and 2100`,
      'startMs'
    )
  }
}

/** The wristband range of a stream, where the mapping names a known E4 stream in its unit (a lab's "eda" in kOhm is not judged). */
function knownRange(mapping: CsvMapping): PhysicalRange | undefined {
  const kind = e4StreamByName(mapping.stream.trim().toLowerCase())
  const unit = mapping.unit.trim().replace(/[\u00b5\u03bc]/g, 'u')
  return kind && unit === kind.unit && mapping.columns.length === kind.channels.length
    ? { ...kind.range, unit: kind.unit }
    : undefined
}

export function planCsvImport(path: string, mapping: CsvMapping): ImportPlan & { report: ImportReport } {
  if (mapping.participant.trim() === '')
    throw new ValidationError('a participant code is required', 'participant')
  if (mapping.stream.trim() === '') throw new ValidationError('a stream name is required', 'stream')
  if (mapping.columns.length === 0) throw new ValidationError('name at least one value column', 'columns')
  if ((mapping.timeColumn === undefined) === (mapping.rateHz === undefined)) {
    throw new ValidationError(
      'give either a time column or a sample rate',
      mapping.timeColumn ? 'rateHz' : 'timeColumn'
    )
  }
  if (mapping.rateHz !== undefined && !(mapping.rateHz >= MIN_RATE_HZ && mapping.rateHz <= MAX_RATE_HZ)) {
    throw new ValidationError(
      `the sample rate must be between ${MIN_RATE_HZ} and ${MAX_RATE_HZ} Hz, not ${renderNumber(mapping.rateHz)}`,
      'rateHz'
    )
  }
  if (mapping.rateHz !== undefined && mapping.startMs === undefined) {
    throw new ValidationError('a fixed-rate file needs the start time of its first row', 'startMs')
  }
  if (mapping.startMs !== undefined) checkStart(mapping.startMs)
  const file = basename(path)
  const sources = new SourceFiles()
  const buffer = sources.read(path, `csv/${file}`, MAX_LAB_CSV_BYTES)
  const wanted = mapping.timeColumn ? [mapping.timeColumn, ...mapping.columns] : mapping.columns
  const rows = readNamedColumns(buffer, file, wanted)
  const n = rows.rowCount
  if (n === 0) throw new FileFormatError(file, 'no data rows', 2)
  const values = mapping.timeColumn ? rows.columns.slice(1) : rows.columns
  const times = new Float64Array(n)
  if (mapping.timeColumn) {
    const raw = rows.columns[0]
    const unit = mapping.timeUnit ?? 'auto'
    const scale =
      unit === 's' || (unit === 'auto' && timesAreSeconds(raw) && mapping.startMs === undefined) ? 1000 : 1
    for (let i = 0; i < n; i++) times[i] = raw[i] * scale + (mapping.startMs ?? 0)
    if (mapping.startMs === undefined && times[0] < RELATIVE_LIMIT_MS) {
      throw new ValidationError(
        `${file}: the time column counts from the start of the recording; give its start time`,
        'startMs'
      )
    }
    for (let i = 0; i < n; i++) {
      checkTime(times[i], file, rows.lines[i], 'time', raw[i])
      if (i > 0 && times[i] <= times[i - 1]) {
        const what = times[i] === times[i - 1] ? 'repeats the previous time' : 'time goes backwards'
        throw new FileFormatError(
          file,
          `${what} (${renderNumber(raw[i])} after ${renderNumber(raw[i - 1])})`,
          rows.lines[i]
        )
      }
    }
  } else {
    for (let i = 0; i < n; i++) times[i] = mapping.startMs! + (i * 1000) / mapping.rateHz!
    checkTime(times[n - 1], file, rows.lines[n - 1], `at ${mapping.rateHz} Hz, the last row's time`)
  }
  // A time column's rate is what the times say; a stream needs one to be windowed, and one that is faster
  // than any device (times a microsecond apart) means the column holds something other than times.
  const rateHz = mapping.rateHz ?? round(measuredRate(times), 3)
  if (rateHz > MAX_RATE_HZ) {
    throw new FileFormatError(
      file,
      `the times are ${renderNumber(round(1000 / rateHz, 6))} ms apart on average (${renderNumber(rateHz)} Hz, above ${MAX_RATE_HZ} Hz): the wrong column or unit?`,
      rows.lines[0]
    )
  }
  const range = knownRange(mapping)
  const screen = range ? screenRange(values, rows.lines, range, file) : undefined
  const kept = n - (screen?.dropped ?? 0)
  const channels = values.length
  const keptTimes = screen?.drop ? new Float64Array(kept) : times
  const samples = new Float32Array(kept * channels)
  for (let i = 0, k = 0; i < n; i++) {
    if (screen?.drop?.[i]) continue
    keptTimes[k] = times[i]
    for (let c = 0; c < channels; c++) samples[k * channels + c] = values[c][i]
    k++
  }
  const stream = {
    name: mapping.stream,
    unit: mapping.unit,
    rateHz,
    channels: mapping.columns,
    times: keptTimes,
    samples
  }
  const info = streamReport(stream, file, { duplicatesRemoved: 0, outOfOrderRows: 0, missingValues: 0 })
  const sessionName = mapping.sessionName ?? `CSV ${file}`
  const report = participantReport(
    mapping.participant,
    sessionName,
    screen && range && screen.dropped > 0 ? [gapProblem(file, screen, range)] : []
  )
  const streams: ImportedStream[] = []
  addStream(report, streams, stream, info)
  const session = {
    participantCode: mapping.participant,
    name: sessionName,
    startMs: Math.floor(keptTimes[0]),
    timezone: mapping.timezone ?? 'UTC',
    durationMs: Math.round(keptTimes[kept - 1] - Math.floor(keptTimes[0])),
    streams,
    markers: [],
    annotations: [],
    annotationCount: 0,
    markerCount: 0
  }
  return importPlan({
    kind: 'csv',
    source: path,
    // The mapping is part of what was imported: the same file read with another mapping is other data.
    contentHash: sources.contentHash(`csv ${JSON.stringify({ ...mapping, participant: undefined })}`),
    sessions: [session],
    participants: [report],
    problems: [],
    participantCount: 1
  })
}
