import { FileFormatError } from '../../errors'
import type { ImportedStream } from '../../store/import-writer'
import { bomLength, readNumericRows, splitLine } from '../csv-reader'
import type { E4StreamKind } from '../e4-streams'
import { checkRate, checkTime, gapProblem, screenRange, type PhysicalRange } from '../limits'
import { renderNumber, renderToken } from '../safe-text'

/** Earliest plausible session start (2001) in Unix seconds: row 1 holding anything smaller is not a start time. */
const EARLIEST_START_S = 1e9

/** A file of an E4 Connect export, read: its stream and what the report should say about it. */
export interface E4File {
  stream: ImportedStream
  problems: string[]
}

function firstLines(buffer: Uint8Array, count: number): { lines: string[]; offset: number } {
  const lines: string[] = []
  let offset = bomLength(buffer)
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
): number {
  if (line === undefined)
    throw new FileFormatError(file, `missing the ${what} row (truncated file?)`, lineNumber)
  const cells = splitLine(line)
  if (cells.length !== count)
    throw new FileFormatError(
      file,
      `the ${what} row has ${cells.length} fields, expected ${count}`,
      lineNumber
    )
  const values = cells.map((cell) => {
    const value = Number(cell)
    if (cell === '' || !Number.isFinite(value)) {
      throw new FileFormatError(
        file,
        `expected the ${what} (a number), found ${renderToken(cell)}: not an E4 Connect file?`,
        lineNumber
      )
    }
    return value
  })
  // ACC repeats its start and rate once per axis; axes that disagree cannot share one clock.
  if (values.some((value) => value !== values[0])) {
    throw new FileFormatError(
      file,
      `the ${what} differs between columns (${values.map(renderNumber).join(', ')})`,
      lineNumber
    )
  }
  return values[0]
}

function rangeOf(kind: E4StreamKind): PhysicalRange {
  return { ...kind.range, unit: kind.unit }
}

/**
 * A signal file of an E4 Connect export: row 1 the start time in Unix seconds (once per column), row 2
 * the sample rate in Hz, then one sample per row. Sample k is at start + k / rate, so a sample left out
 * as a glitch leaves a gap without moving the others.
 */
export function readE4SignalFile(buffer: Uint8Array, file: string, kind: E4StreamKind): E4File {
  const columns = kind.channels.length
  const { lines, offset } = firstLines(buffer, 2)
  const start = headerNumbers(lines[0], file, 1, 'start time', columns)
  const rate = headerNumbers(lines[1], file, 2, 'sample rate', columns)
  if (start < EARLIEST_START_S) {
    throw new FileFormatError(
      file,
      `row 1 should be the start time in Unix seconds, found ${renderNumber(start)}`,
      1
    )
  }
  checkTime(start * 1000, file, 1, 'the start time', start)
  checkRate(rate, file, 2)
  const rows = readNumericRows(buffer, file, {
    offset,
    firstLine: 3,
    fieldCount: columns,
    fields: kind.channels.map((_, index) => index),
    names: kind.channels
  })
  const n = rows.rowCount
  const range = rangeOf(kind)
  const screen = screenRange(rows.columns, rows.lines, range, file)
  const startMs = start * 1000
  const stepMs = 1000 / rate
  if (n > 0)
    checkTime(startMs + (n - 1) * stepMs, file, rows.lines[n - 1], `at ${rate} Hz, the last sample's time`)
  const kept = n - screen.dropped
  const times = new Float64Array(kept)
  const samples = new Float32Array(kept * columns)
  let k = 0
  for (let i = 0; i < n; i++) {
    if (screen.drop?.[i]) continue
    times[k] = startMs + i * stepMs
    for (let c = 0; c < columns; c++) samples[k * columns + c] = rows.columns[c][i]
    k++
  }
  return {
    stream: { name: kind.name, unit: kind.unit, rateHz: rate, channels: kind.channels, times, samples },
    problems: screen.dropped > 0 ? [gapProblem(file, screen, range)] : []
  }
}

/** IBI.csv: row 1 "<start>, IBI", then (seconds since start, interval in s). Offsets must increase. */
export function readE4IbiFile(buffer: Uint8Array, file: string, kind: E4StreamKind): E4File {
  const empty: ImportedStream = {
    name: kind.name,
    unit: kind.unit,
    rateHz: 0,
    channels: kind.channels,
    times: new Float64Array(0),
    samples: new Float32Array(0)
  }
  // E4 Connect writes an empty IBI file when it detected no clean beats.
  if (buffer.length === 0 || Buffer.from(buffer).toString().trim() === '')
    return { stream: empty, problems: [] }
  const { lines, offset } = firstLines(buffer, 1)
  const cells = splitLine(lines[0])
  const start = Number(cells[0])
  if (
    cells.length !== 2 ||
    cells[0] === '' ||
    !Number.isFinite(start) ||
    start < EARLIEST_START_S ||
    cells[1].toUpperCase() !== 'IBI'
  ) {
    throw new FileFormatError(
      file,
      `row 1 should be "<start time>, IBI", found ${renderToken(lines[0], 60)}`,
      1
    )
  }
  checkTime(start * 1000, file, 1, 'the start time', start)
  const rows = readNumericRows(buffer, file, {
    offset,
    firstLine: 2,
    fieldCount: 2,
    fields: [0, 1],
    names: ['offset', 'ibi']
  })
  const [offsets, intervals] = rows.columns
  for (let i = 0; i < rows.rowCount; i++) {
    const line = rows.lines[i]
    // Two beats at one instant, or a beat before the one before it, is no heartbeat: the file is damaged.
    if (i === 0 && offsets[0] < 0) {
      throw new FileFormatError(
        file,
        `the first beat is before the start time (${renderNumber(offsets[0])} s)`,
        line
      )
    }
    if (i > 0 && offsets[i] <= offsets[i - 1]) {
      const what = offsets[i] === offsets[i - 1] ? 'repeats the previous beat' : 'time goes backwards'
      throw new FileFormatError(
        file,
        `${what} (${renderNumber(offsets[i])} s after ${renderNumber(offsets[i - 1])} s)`,
        line
      )
    }
    checkTime((start + offsets[i]) * 1000, file, line, 'the beat at offset', offsets[i])
  }
  const range = rangeOf(kind)
  // An interval screens on its own column only: the offset is a time, checked above.
  const screen = screenRange([intervals], rows.lines, range, file)
  const kept = rows.rowCount - screen.dropped
  const times = new Float64Array(kept)
  const samples = new Float32Array(kept)
  let k = 0
  for (let i = 0; i < rows.rowCount; i++) {
    if (screen.drop?.[i]) continue
    times[k] = (start + offsets[i]) * 1000
    samples[k] = intervals[i]
    k++
  }
  return {
    stream: { ...empty, times, samples },
    problems: screen.dropped > 0 ? [gapProblem(file, screen, range)] : []
  }
}

/** tags.csv: one Unix time in seconds per line (an empty file when the button was never pressed). */
export function readE4Tags(buffer: Uint8Array, file: string): number[] {
  if (buffer.length === 0) return []
  const rows = readNumericRows(buffer, file, {
    // A tags file edited and saved by Excel starts with a byte-order mark.
    offset: bomLength(buffer),
    firstLine: 1,
    fieldCount: 1,
    fields: [0],
    names: ['tag time']
  })
  const tags = Array.from(rows.columns[0], (seconds) => seconds * 1000)
  for (let i = 0; i < tags.length; i++) {
    checkTime(tags[i], file, rows.lines[i], 'the tag time', rows.columns[0][i])
    if (i > 0 && tags[i] < tags[i - 1]) throw new FileFormatError(file, 'time goes backwards', rows.lines[i])
  }
  return tags
}
