import { FileFormatError } from '../errors'
import { EPOCH_LIMITS_MS, MAX_RATE_HZ } from '../store/import-writer'
import { renderNumber } from './safe-text'

export { EPOCH_LIMITS_MS, MAX_RATE_HZ }

/**
 * What an import accepts, and what it does with the rest. The rule, per case:
 * - a time (a timestamp, a start time, a tag, a debate time) outside 2000..2100, or a rate outside
 *   0.001 Hz..10 kHz, is refused with the file and line: every other time of the file is placed by it or
 *   beside it, so one wrong time means a wrong unit or a damaged file, and guessing would store a session
 *   at the wrong moment without a word;
 * - a sample outside what the sensor can produce (EDA above 100 uS, a heart rate of 400) becomes a gap,
 *   counted in the report: sensors do glitch (contact lost, motion), and one glitch must not sink hours of
 *   good recording; but when most of a file is out of range it is the wrong column or unit, and refused;
 * - a number no study can store (beyond float32, which includes 1e400 read as Infinity) is refused by
 *   the CSV reader itself, with its line.
 */

/** The largest float32: samples are stored as float32, so anything beyond it would come back as Infinity. */
export const MAX_STORABLE = 3.4028234663852886e38

export function isPlausibleTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EPOCH_LIMITS_MS.min && ms < EPOCH_LIMITS_MS.max
}

/** Refuses a time outside 2000..2100 (UTC); `raw` is the value as the file wrote it (seconds, ms, offset). */
export function checkTime(ms: number, file: string, line: number | undefined, what: string, raw = ms): void {
  if (!isPlausibleTime(ms)) {
    throw new FileFormatError(
      file,
      `${what} ${renderNumber(raw)} is not a time between 2000 and 2100 (a wrong unit, or a damaged file?)`,
      line
    )
  }
}

/**
 * The slowest rate a stream may have: one sample in about 17 minutes. Slower is no signal but a handful
 * of notes, and a rate such as 1e-300 Hz would put the second sample past the end of time.
 */
export const MIN_RATE_HZ = 0.001

/** Refuses a rate outside 0.001 Hz .. 10 kHz (no wrist sensor nor lab amplifier here samples faster). */
export function checkRate(
  hz: number,
  file: string,
  line: number | undefined,
  what = 'the sample rate'
): void {
  if (!(hz >= MIN_RATE_HZ && hz <= MAX_RATE_HZ)) {
    throw new FileFormatError(
      file,
      `${what} must be between ${MIN_RATE_HZ} and ${MAX_RATE_HZ} Hz, found ${renderNumber(hz)}`,
      line
    )
  }
}

/** What a sensor can produce, in the unit the file holds. */
export interface PhysicalRange {
  min: number
  max: number
  unit: string
}

export interface RangeScreen {
  /** 1 for each row to leave out (a gap); null when every row is in range. */
  drop: Uint8Array | null
  dropped: number
  /** Where the first dropped row was, for the report. */
  firstLine: number
  firstValue: number
}

/**
 * Marks the rows holding a value outside `range` (any channel: a 3-axis sample is one row). Missing
 * values (NaN) are not judged here: the readers count them apart. Refuses the file when more than half of
 * its judged rows are out, since that is not a glitch but the wrong column or unit.
 */
export function screenRange(
  columns: Float64Array[],
  lines: Int32Array,
  range: PhysicalRange,
  file: string
): RangeScreen {
  const rows = lines.length
  let drop: Uint8Array | null = null
  let dropped = 0
  let judged = 0
  let firstLine = 0
  let firstValue = 0
  for (let i = 0; i < rows; i++) {
    let missing = false
    let outside: number | undefined
    for (const column of columns) {
      const value = column[i]
      if (Number.isNaN(value)) missing = true
      else if (outside === undefined && (value < range.min || value > range.max)) outside = value
    }
    if (missing) continue
    judged++
    if (outside === undefined) continue
    drop ??= new Uint8Array(rows)
    drop[i] = 1
    if (dropped === 0) {
      firstLine = lines[i]
      firstValue = outside
    }
    dropped++
  }
  if (dropped * 2 > judged) {
    throw new FileFormatError(
      file,
      `${dropped} of ${judged} rows hold values outside ${range.min}..${range.max} ${range.unit} (first ${renderNumber(firstValue)}): the wrong column or unit?`,
      firstLine
    )
  }
  return { drop, dropped, firstLine, firstValue }
}

/** The report's line for the rows a screen left out. */
export function gapProblem(file: string, screen: RangeScreen, range: PhysicalRange): string {
  return `${file}: ${screen.dropped} rows with values outside ${range.min}..${range.max} ${range.unit} left out as gaps (first at line ${screen.firstLine}: ${renderNumber(screen.firstValue)})`
}
