import { FileFormatError } from '../errors'
import { MAX_STORABLE } from './limits'
import { renderList, renderToken } from './safe-text'

/**
 * A hand-written reader for the numeric CSV files that wrist sensors produce. Real K-EmoCon and E4 files
 * are hundreds of thousands of rows of a few numbers, so it works on the raw bytes: no string per cell,
 * no intermediate row arrays, and numbers parsed digit by digit (exactly as Number() would round them).
 */

const COMMA = 44
const NEWLINE = 10
const RETURN = 13
const SPACE = 32
const TAB = 9
const QUOTE = 34
const MINUS = 45
const PLUS = 43
const DOT = 46
const ZERO = 48
const NINE = 57

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k)

/** Cells read as "missing" where a reader allows it: K-EmoCon marks unrated intervals with "x". */
const MISSING_WORDS = new Set(['', 'x', 'na', 'nan', 'n/a', 'null', 'none'])

export interface NumericRowsOptions {
  /** Byte offset where the rows start (after any header lines). */
  offset: number
  /** 1-based line number of the row at `offset`, for messages. */
  firstLine: number
  /** Number of fields every row must have (extra or missing fields are a format error). */
  fieldCount: number
  /** Field indexes to parse as numbers; the others (e.g. device_serial) are skipped unread. */
  fields: number[]
  /** Names of those fields, for messages. */
  names: string[]
  /** Whether empty or "x" cells are read as NaN; otherwise they are an error. */
  allowMissing?: boolean
  /** Whether rows may carry more fields than fieldCount (extra trailing columns). */
  allowExtraFields?: boolean
}

export interface NumericRows {
  /** One array per requested field, in the order of `fields`. */
  columns: Float64Array[]
  rowCount: number
  /** 1-based source line of each row (blank lines are skipped, so rows and lines can drift apart). */
  lines: Int32Array
  /** Cells read as NaN because they were empty or "x". */
  missingCells: number
}

export interface CsvHeader {
  /** Trimmed, unquoted header names, as written. */
  names: string[]
  /** Byte offset of the first data row. */
  offset: number
}

/** Bytes of a UTF-8 byte-order mark at the start (Excel writes one in "CSV UTF-8"), else 0. */
export function bomLength(buffer: Uint8Array): number {
  return buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0
}

/**
 * A file whose lines end in CR alone (Excel's "CSV (Macintosh)", old Mac tools) with CRs turned into
 * line feeds; any other file as it is. Without this such a file reads as one line, and its whole content
 * ends up quoted in a message about a bad header.
 */
export function withLineFeeds(buffer: Buffer): Buffer {
  if (buffer.indexOf(NEWLINE) >= 0 || buffer.indexOf(RETURN) < 0) return buffer
  const copy = Buffer.from(buffer)
  for (let at = copy.indexOf(RETURN); at >= 0; at = copy.indexOf(RETURN, at + 1)) copy[at] = NEWLINE
  return copy
}

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB
}

function lineEnd(buffer: Uint8Array, from: number): number {
  const end = buffer.indexOf(NEWLINE, from)
  return end < 0 ? buffer.length : end
}

function cellText(buffer: Uint8Array, start: number, end: number): string {
  let text = Buffer.from(buffer.buffer, buffer.byteOffset + start, end - start)
    .toString('utf8')
    .trim()
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"'))
    text = text.slice(1, -1).replace(/""/g, '"').trim()
  return text
}

/** Splits one text line (header or metadata row) into trimmed cells; quoted cells may hold commas. */
export function splitLine(line: string): string[] {
  const cells: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const char = line[i]
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"'
        i++
      } else if (char === '"') quoted = false
      else current += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      cells.push(current.trim())
      current = ''
    } else current += char
  }
  cells.push(current.replace(/\r$/, '').trim())
  return cells
}

/** Reads the header line (skipping a UTF-8 byte-order mark) and says where the data starts. */
export function readHeader(buffer: Uint8Array, file: string): CsvHeader {
  const start = bomLength(buffer)
  if (start >= buffer.length) throw new FileFormatError(file, 'the file is empty (no header line)', 1)
  const end = lineEnd(buffer, start)
  const names = splitLine(Buffer.from(buffer.buffer, buffer.byteOffset + start, end - start).toString('utf8'))
  if (names.every((name) => name === '')) throw new FileFormatError(file, 'the header line is empty', 1)
  return { names, offset: Math.min(buffer.length, end + 1) }
}

/** Finds each wanted column by name (case and stray spaces ignored); a missing one is a format error naming the header. */
export function columnIndexes(header: string[], wanted: string[], file: string): number[] {
  const lower = header.map((name) => name.trim().toLowerCase())
  return wanted.map((name) => {
    const index = lower.indexOf(name.toLowerCase())
    if (index < 0) {
      throw new FileFormatError(
        file,
        `no ${renderToken(name)} column (header: ${renderList(header) || 'empty'})`,
        1
      )
    }
    return index
  })
}

/**
 * Parses a numeric cell in [start, end). Returns NaN for a missing cell when `allowMissing`, and
 * undefined when the text is not a number (the caller builds the message, with the line).
 */
function parseCell(
  buffer: Uint8Array,
  start: number,
  end: number,
  allowMissing: boolean
): number | undefined {
  while (start < end && isBlank(buffer[start])) start++
  while (end > start && isBlank(buffer[end - 1])) end--
  if (start === end) return allowMissing ? NaN : undefined
  // A plain decimal takes the one-pass scan; anything else (exponent, quotes, words) the careful path.
  if (scanNumber(buffer, start, end) === end) return scanned
  const text = cellText(buffer, start, end)
  if (allowMissing && MISSING_WORDS.has(text.toLowerCase())) return NaN
  if (text === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined
  const value = Number(text)
  // Only here can a cell overflow (an exponent, 16+ digits): 1e400 reads as Infinity, and 1e39 would
  // come back from the study's float32 samples as Infinity.
  return Math.abs(value) <= MAX_STORABLE ? value : OVERFLOW
}

/** What parseCell returns for a number beyond what a study stores (a sentinel no cell can hold). */
const OVERFLOW = -Infinity

/** The value of the last cell `scanNumber` accepted (a module variable: no object per cell). */
let scanned = 0

/**
 * Parses a plain decimal cell at `start` in one pass and returns where the cell ends (its comma or the
 * line end), or -1 when the cell needs the careful path (missing, exponent, quotes, text, 16+ digits).
 */
function scanNumber(buffer: Uint8Array, start: number, end: number): number {
  let i = start
  while (i < end && isBlank(buffer[i])) i++
  let negative = false
  if (i < end && (buffer[i] === MINUS || buffer[i] === PLUS)) {
    negative = buffer[i] === MINUS
    i++
  }
  let mantissa = 0
  let digits = 0
  let decimals = 0
  let seenDot = false
  let sawDigit = false
  for (; i < end; i++) {
    const byte = buffer[i]
    if (byte >= ZERO && byte <= NINE) {
      mantissa = mantissa * 10 + (byte - ZERO)
      sawDigit = true
      if (mantissa !== 0 || seenDot) digits++
      if (seenDot) decimals++
    } else if (byte === DOT && !seenDot) seenDot = true
    else break
  }
  while (i < end && isBlank(buffer[i])) i++
  if (!sawDigit || digits > 15 || decimals > 22 || (i < end && buffer[i] !== COMMA)) return -1
  // Digits that fit in 2^53 over an exact power of ten: one correctly rounded division, as Number() gives.
  const value = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals]
  scanned = negative ? -value : value
  return i
}

/** Where the cell starting at `from` ends: its comma or the line end; a quoted cell may hold commas. */
function cellEndFrom(buffer: Uint8Array, from: number, end: number): number {
  let i = from
  while (i < end && isBlank(buffer[i])) i++
  if (i < end && buffer[i] === QUOTE) {
    const close = buffer.indexOf(QUOTE, i + 1)
    if (close >= 0 && close < end) i = close + 1
  }
  const comma = buffer.indexOf(COMMA, i)
  return comma < 0 || comma > end ? end : comma
}

/** Reads rows of numbers from `offset` to the end of the buffer. Blank lines are skipped. */
export function readNumericRows(buffer: Uint8Array, file: string, options: NumericRowsOptions): NumericRows {
  const { fields, fieldCount } = options
  const allowMissing = options.allowMissing ?? false
  const allowExtra = options.allowExtraFields ?? false
  // Which output column each field index feeds (-1: skipped).
  const target = new Int32Array(Math.max(fieldCount, ...fields.map((f) => f + 1))).fill(-1)
  fields.forEach((field, k) => (target[field] = k))
  // Counting line ends first (memchr speed) sizes the columns exactly: no growing, no garbage.
  let capacity = 1
  for (let at = buffer.indexOf(NEWLINE, options.offset); at >= 0; at = buffer.indexOf(NEWLINE, at + 1))
    capacity++
  let columns = fields.map(() => new Float64Array(capacity))
  let lines = new Int32Array(capacity)
  let rowCount = 0
  let missingCells = 0
  let line = options.firstLine
  let position = options.offset
  const length = buffer.length

  while (position < length) {
    let end = lineEnd(buffer, position)
    const next = end + 1
    if (end > position && buffer[end - 1] === RETURN) end--
    let blank = true
    for (let i = position; i < end; i++) {
      if (!isBlank(buffer[i])) {
        blank = false
        break
      }
    }
    if (blank) {
      position = next
      line++
      continue
    }
    if (rowCount === capacity) {
      capacity *= 2
      columns = columns.map((column) => {
        const grown = new Float64Array(capacity)
        grown.set(column)
        return grown
      })
      const grownLines = new Int32Array(capacity)
      grownLines.set(lines)
      lines = grownLines
    }
    let field = 0
    let cellStart = position
    for (;;) {
      const k = field < target.length ? target[field] : -1
      let cellEnd: number
      if (k >= 0) {
        let value: number | undefined
        const stop = scanNumber(buffer, cellStart, end)
        if (stop >= 0) {
          value = scanned
          cellEnd = stop
        } else {
          cellEnd = cellEndFrom(buffer, cellStart, end)
          value = parseCell(buffer, cellStart, cellEnd, allowMissing)
        }
        if (value === undefined || value === OVERFLOW) {
          let from = cellStart
          let to = cellEnd
          while (from < to && isBlank(buffer[from])) from++
          while (to > from && isBlank(buffer[to - 1])) to--
          const token = renderToken(buffer.subarray(from, to))
          const what =
            value === OVERFLOW
              ? `holds ${token}, beyond the +-3.4e38 a study can store`
              : from === to
                ? 'is empty'
                : `is not a number: ${token}`
          throw new FileFormatError(file, `column ${renderToken(options.names[k])} ${what}`, line)
        }
        if (Number.isNaN(value)) missingCells++
        columns[k][rowCount] = value
      } else cellEnd = cellEndFrom(buffer, cellStart, end)
      field++
      if (cellEnd >= end) break
      cellStart = cellEnd + 1
    }
    if (field < fieldCount || (field > fieldCount && !allowExtra)) {
      const truncated = next >= length && field < fieldCount ? ' (truncated last line?)' : ''
      throw new FileFormatError(file, `${field} fields, expected ${fieldCount}${truncated}`, line)
    }
    lines[rowCount] = line
    rowCount++
    position = next
    line++
  }
  return {
    columns: columns.map((column) => column.subarray(0, rowCount)),
    rowCount,
    lines: lines.subarray(0, rowCount),
    missingCells
  }
}

export interface NamedColumns {
  header: string[]
  /** Requested columns, in the order asked. */
  columns: Float64Array[]
  rowCount: number
  lines: Int32Array
  missingCells: number
}

/** Reads a headed CSV, parsing only the named columns as numbers (found by name, in any order). */
export function readNamedColumns(
  buffer: Uint8Array,
  file: string,
  wanted: string[],
  options: { allowMissing?: boolean } = {}
): NamedColumns {
  const header = readHeader(buffer, file)
  const fields = columnIndexes(header.names, wanted, file)
  const rows = readNumericRows(buffer, file, {
    offset: header.offset,
    firstLine: 2,
    fieldCount: header.names.length,
    fields,
    names: wanted,
    allowMissing: options.allowMissing
  })
  return { header: header.names, ...rows }
}
