import { FileFormatError } from '../../errors'
import type { ImportedStream } from '../../store/import-writer'
import { readNumericRows, splitLine } from '../csv-reader'
import type { E4StreamKind } from '../e4-streams'

/** Earliest plausible session start (2001) in Unix seconds: row 1 holding anything smaller is not a start time. */
const EARLIEST_START_S = 1e9

function firstLines(buffer: Uint8Array, count: number): { lines: string[]; offset: number } {
  const lines: string[] = []
  let offset = 0
  while (lines.length < count && offset < buffer.length) {
    let end = buffer.indexOf(10, offset)
    if (end < 0) end = buffer.length
    lines.push(
      Buffer.from(buffer.buffer, buffer.byteOffset + offset, end - offset)
        .toString('utf8')
        .replace(/\r$/, '')
    )
    offset = end + 1
  }
  return { lines, offset: Math.min(offset, buffer.length) }
}

function headerNumbers(
  line: string | undefined,
  file: string,
  lineNumber: number,
  what: string,
  count: number
): number[] {
  if (line === undefined)
    throw new FileFormatError(file, `missing the ${what} row (truncated file?)`, lineNumber)
  const cells = splitLine(line)
  if (cells.length !== count)
    throw new FileFormatError(
      file,
      `the ${what} row has ${cells.length} fields, expected ${count}`,
      lineNumber
    )
  return cells.map((cell) => {
    const value = Number(cell)
    if (cell === '' || !Number.isFinite(value)) {
      throw new FileFormatError(
        file,
        `expected the ${what} (a number), found "${cell}": not an E4 Connect file?`,
        lineNumber
      )
    }
    return value
  })
}

/**
 * A signal file of an E4 Connect export: row 1 the start time in Unix seconds (once per column), row 2
 * the sample rate in Hz, then one sample per row. Sample k is at start + k / rate.
 */
export function readE4SignalFile(buffer: Uint8Array, file: string, kind: E4StreamKind): ImportedStream {
  const columns = kind.channels.length
  const { lines, offset } = firstLines(buffer, 2)
  const starts = headerNumbers(lines[0], file, 1, 'start time', columns)
  const rates = headerNumbers(lines[1], file, 2, 'sample rate', columns)
  if (starts[0] < EARLIEST_START_S) {
    throw new FileFormatError(file, `row 1 should be the start time in Unix seconds, found ${starts[0]}`, 1)
  }
  if (!(rates[0] > 0))
    throw new FileFormatError(file, `the sample rate must be positive, found ${rates[0]}`, 2)
  const rows = readNumericRows(buffer, file, {
    offset,
    firstLine: 3,
    fieldCount: columns,
    fields: kind.channels.map((_, index) => index),
    names: kind.channels
  })
  const n = rows.rowCount
  const times = new Float64Array(n)
  const samples = new Float32Array(n * columns)
  const startMs = starts[0] * 1000
  const stepMs = 1000 / rates[0]
  for (let i = 0; i < n; i++) {
    times[i] = startMs + i * stepMs
    for (let c = 0; c < columns; c++) samples[i * columns + c] = rows.columns[c][i]
  }
  return { name: kind.name, unit: kind.unit, rateHz: rates[0], channels: kind.channels, times, samples }
}

/** IBI.csv: row 1 "<start>, IBI", then (seconds since start, interval in s). Offsets must not go backwards. */
export function readE4IbiFile(buffer: Uint8Array, file: string, kind: E4StreamKind): ImportedStream {
  const empty: ImportedStream = {
    name: kind.name,
    unit: kind.unit,
    rateHz: 0,
    channels: kind.channels,
    times: new Float64Array(0),
    samples: new Float32Array(0)
  }
  // E4 Connect writes an empty IBI file when it detected no clean beats.
  if (buffer.length === 0 || buffer.toString().trim() === '') return empty
  const { lines, offset } = firstLines(buffer, 1)
  const cells = splitLine(lines[0])
  const start = Number(cells[0])
  if (
    cells.length !== 2 ||
    !Number.isFinite(start) ||
    start < EARLIEST_START_S ||
    cells[1].toUpperCase() !== 'IBI'
  ) {
    throw new FileFormatError(
      file,
      `row 1 should be "<start time>, IBI", found "${lines[0].slice(0, 60)}"`,
      1
    )
  }
  const rows = readNumericRows(buffer, file, {
    offset,
    firstLine: 2,
    fieldCount: 2,
    fields: [0, 1],
    names: ['offset', 'ibi']
  })
  const [offsets, intervals] = rows.columns
  const times = new Float64Array(rows.rowCount)
  for (let i = 0; i < rows.rowCount; i++) {
    if (i > 0 && offsets[i] < offsets[i - 1]) {
      throw new FileFormatError(
        file,
        `time goes backwards (${offsets[i]} s after ${offsets[i - 1]} s)`,
        rows.lines[i]
      )
    }
    times[i] = (start + offsets[i]) * 1000
  }
  return { ...empty, times, samples: Float32Array.from(intervals) }
}

/** tags.csv: one Unix time in seconds per line (an empty file when the button was never pressed). */
export function readE4Tags(buffer: Uint8Array, file: string): number[] {
  if (buffer.length === 0) return []
  const rows = readNumericRows(buffer, file, {
    offset: 0,
    firstLine: 1,
    fieldCount: 1,
    fields: [0],
    names: ['tag time']
  })
  const tags = Array.from(rows.columns[0], (seconds) => seconds * 1000)
  for (let i = 1; i < tags.length; i++) {
    if (tags[i] < tags[i - 1]) throw new FileFormatError(file, 'time goes backwards', rows.lines[i])
  }
  return tags
}
