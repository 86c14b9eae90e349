import { ValidationError } from '../errors'

/** Units the study stores with signs EDF's ASCII header cannot hold, spelled the way EDF+ spells them. */
const ASCII_SPELLINGS: Record<string, string> = { µ: 'u', μ: 'u', '°': 'deg', '²': '2', '³': '3', Ω: 'Ohm' }

/** `text` in printable ASCII (EDF headers allow nothing else), with known signs spelled out; null when something cannot be. */
export function asciiOf(text: string): string | null {
  let out = ''
  for (const character of text) {
    const code = character.codePointAt(0)!
    if (code >= 32 && code < 127) out += character
    else if (ASCII_SPELLINGS[character] !== undefined) out += ASCII_SPELLINGS[character]
    else return null
  }
  return out
}

/** Free-text header fields (transducer, prefiltering, identification) lose what they cannot hold rather than refuse the export. */
export function lossyAscii(text: string): string {
  let out = ''
  for (const character of text) out += asciiOf(character) ?? '_'
  return out
}

/** A fixed-width header field: space padded; longer text is cut, which is only safe for free text (callers check names first). */
export function fixed(text: string, width: number): string {
  return lossyAscii(text).slice(0, width).padEnd(width, ' ')
}

/**
 * A physical limit in at most 8 characters, rounded away from the data (down for a minimum, up for a maximum) so
 * the written range still holds every sample: readers scale with the header's text, not with the number behind it.
 */
export function limitText(value: number, direction: 'down' | 'up', field: string): string {
  for (let decimals = 7; decimals >= 0; decimals--) {
    const scale = 10 ** decimals
    const rounded = (direction === 'down' ? Math.floor(value * scale) : Math.ceil(value * scale)) / scale
    const text = formatDecimal(rounded, decimals)
    if (text.length <= 8) return text
  }
  throw new ValidationError(`${field} ${value} does not fit the 8 characters EDF allows`, field)
}

/** A decimal without exponent and without trailing zeros. */
export function formatDecimal(value: number, decimals: number): string {
  let text = value.toFixed(decimals)
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '')
  return text === '-0' ? '0' : text
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}

/** Denominators beyond this are not a device's nominal rate but a measured one, which has no exact record grid. */
const MAX_RATE_DENOMINATOR = 1000
/**
 * Longer records make every reader hold more per record and make EDF+D gaps coarser; a rate that needs more
 * (100.21 Hz needs 100 s) is better resampled by the user than written on a grid nobody expects.
 */
export const MAX_RECORD_SECONDS = 60

/** `rate` as a reduced fraction with a small denominator, or null when it is not one. */
export function rateFraction(rate: number): { numerator: number; denominator: number } | null {
  for (let denominator = 1; denominator <= MAX_RATE_DENOMINATOR; denominator++) {
    const numerator = Math.round(rate * denominator)
    if (numerator > 0 && Math.abs(rate * denominator - numerator) < 1e-9 * numerator) {
      const common = gcd(numerator, denominator)
      return { numerator: numerator / common, denominator: denominator / common }
    }
  }
  return null
}

/**
 * The shortest data-record duration that holds a whole number of samples of every rate and that the 8-character
 * duration field writes exactly, as a fraction of seconds. Records of 1/rate-multiples (lcm of denominators over
 * gcd of numerators) are the shortest grid; multiples of it are tried until its decimal text is exact.
 */
export function recordDuration(rates: { name: string; rateHz: number }[]): {
  numerator: number
  denominator: number
  text: string
} {
  let lcmDenominator = 1
  let gcdNumerator = 0
  for (const { name, rateHz } of rates) {
    const fraction = rateFraction(rateHz)
    if (!fraction)
      throw new ValidationError(
        `stream ${name}: rate ${rateHz} Hz is not a fraction with a denominator up to ${MAX_RATE_DENOMINATOR}, so no EDF data record holds a whole number of its samples; resample it first`,
        'rateHz'
      )
    lcmDenominator = (lcmDenominator / gcd(lcmDenominator, fraction.denominator)) * fraction.denominator
    gcdNumerator = gcd(gcdNumerator, fraction.numerator)
  }
  const base = { numerator: lcmDenominator, denominator: gcdNumerator }
  for (let multiple = 1; (multiple * base.numerator) / base.denominator <= MAX_RECORD_SECONDS; multiple++) {
    const numerator = multiple * base.numerator
    const common = gcd(numerator, base.denominator)
    const reduced = { numerator: numerator / common, denominator: base.denominator / common }
    const text = exactDecimal(reduced.numerator, reduced.denominator)
    if (text !== null && text.length <= 8) return { ...reduced, text }
  }
  // The shortest duration with an exact decimal: the base times what of its denominator is not made of 2s and 5s.
  let odd = base.denominator / gcd(base.numerator, base.denominator)
  while (odd % 2 === 0) odd /= 2
  while (odd % 5 === 0) odd /= 5
  const seconds = (base.numerator * odd) / base.denominator
  throw new ValidationError(
    `rates ${rates.map((rate) => `${rate.name} ${rate.rateHz} Hz`).join(', ')} need data records of ${formatDecimal(seconds, 3)} s or more; EDF export allows at most ${MAX_RECORD_SECONDS} s: resample the odd stream first`,
    'rateHz'
  )
}

/** numerator/denominator as a finite decimal text, or null when it has none (1/3). */
function exactDecimal(numerator: number, denominator: number): string | null {
  let rest = denominator
  let decimals = 0
  while (rest % 2 === 0 || rest % 5 === 0) {
    rest /= rest % 2 === 0 ? 2 : 5
    decimals++
  }
  if (rest !== 1) return null
  return formatDecimal(numerator / denominator, decimals)
}

/** Seconds as an EDF+ TAL onset: a sign is required, no exponent is allowed, milliseconds are what the study stores. */
export function onsetText(seconds: number, decimals = 4): string {
  const text = formatDecimal(seconds, decimals)
  return text.startsWith('-') ? text : `+${text}`
}

/** TAL text may be UTF-8 but must not hold the bytes that delimit TALs (0x14, 0x15, 0x00) or other control codes. */
export function talText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ')
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']

/** The wall-clock date and time of `epochMs` in `timezone` (EDF's start is local time where the recording was made). */
export function localParts(
  epochMs: number,
  timezone: string
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit'
    })
  } catch {
    throw new ValidationError(`session time zone "${timezone}" is not a known IANA time zone`, 'timezone')
  }
  const parts = Object.fromEntries(
    format.formatToParts(new Date(epochMs)).map((part) => [part.type, part.value])
  )
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second)
  }
}

function two(value: number): string {
  return String(value).padStart(2, '0')
}

/** Header start date and time fields, and the EDF+ "Startdate dd-MMM-yyyy" word, for a local time. */
export function startFields(parts: ReturnType<typeof localParts>): {
  date: string
  time: string
  startdate: string
} {
  // EDF's two-digit year covers 1985..2084 (EDF+ clipping date rule); anything else would read back as another century.
  if (parts.year < 1985 || parts.year > 2084)
    throw new ValidationError(`session start year ${parts.year} is outside EDF's 1985..2084`, 'startMs')
  return {
    date: `${two(parts.day)}.${two(parts.month)}.${two(parts.year % 100)}`,
    time: `${two(parts.hour)}.${two(parts.minute)}.${two(parts.second)}`,
    startdate: `${two(parts.day)}-${MONTHS[parts.month - 1]}-${parts.year}`
  }
}

/** An EDF+ identification subfield: spaces separate subfields, so they become underscores; empty is 'X'. */
export function subfield(text: string): string {
  const ascii = lossyAscii(text).trim().replace(/\s+/g, '_')
  return ascii === '' ? 'X' : ascii
}
