import { basename } from 'node:path'
import { FileFormatError, ValidationError } from '../errors'
import type { ImportedStream, ImportPlan } from '../store/import-writer'
import { readNamedColumns } from './csv-reader'
import {
  addStream,
  importPlan,
  measuredRate,
  participantReport,
  round,
  streamReport,
  type ImportReport
} from './import-report'
import { SourceFiles } from './source-files'
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

export function planCsvImport(path: string, mapping: CsvMapping): ImportPlan & { report: ImportReport } {
  if (mapping.participant.trim() === '')
    throw new ValidationError('a participant code is required', 'participant')
  if (mapping.columns.length === 0) throw new ValidationError('name at least one value column', 'columns')
  if ((mapping.timeColumn === undefined) === (mapping.rateHz === undefined)) {
    throw new ValidationError(
      'give either a time column or a sample rate',
      mapping.timeColumn ? 'rateHz' : 'timeColumn'
    )
  }
  if (mapping.rateHz !== undefined && !(mapping.rateHz > 0))
    throw new ValidationError('the sample rate must be positive', 'rateHz')
  if (mapping.rateHz !== undefined && mapping.startMs === undefined) {
    throw new ValidationError('a fixed-rate file needs the start time of its first row', 'startMs')
  }
  const file = basename(path)
  const sources = new SourceFiles()
  const buffer = sources.read(path, `csv/${file}`)
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
    for (let i = 0; i < n; i++) {
      times[i] = raw[i] * scale + (mapping.startMs ?? 0)
      if (i > 0 && times[i] <= times[i - 1]) {
        const what = times[i] === times[i - 1] ? 'repeats the previous time' : 'time goes backwards'
        throw new FileFormatError(file, `${what} (${raw[i]} after ${raw[i - 1]})`, rows.lines[i])
      }
    }
    if (times[0] < RELATIVE_LIMIT_MS) {
      throw new ValidationError(
        `${file}: the time column counts from the start of the recording; give its start time`,
        'startMs'
      )
    }
  } else {
    for (let i = 0; i < n; i++) times[i] = mapping.startMs! + (i * 1000) / mapping.rateHz!
  }
  const channels = values.length
  const samples = new Float32Array(n * channels)
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) samples[i * channels + c] = values[c][i]
  const stream = {
    name: mapping.stream,
    unit: mapping.unit,
    // A time column's rate is what the times say; a stream needs one to be windowed.
    rateHz: mapping.rateHz ?? round(measuredRate(times), 3),
    channels: mapping.columns,
    times,
    samples
  }
  const info = streamReport(stream, file, { duplicatesRemoved: 0, outOfOrderRows: 0, missingValues: 0 })
  const sessionName = mapping.sessionName ?? `CSV ${file}`
  const report = participantReport(mapping.participant, sessionName)
  const streams: ImportedStream[] = []
  addStream(report, streams, stream, info)
  const session = {
    participantCode: mapping.participant,
    name: sessionName,
    startMs: Math.floor(times[0]),
    timezone: mapping.timezone ?? 'UTC',
    durationMs: Math.round(times[n - 1] - Math.floor(times[0])),
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
