/**
 * The line protocol that Arduino sketches and the Edge Impulse data forwarder speak: one sample a line, values
 * split by ',', tab or space, optionally `label:value` pairs (Arduino Serial Plotter), a header or label-only
 * line naming the channels. Pure and incremental: bytes in, data rows and counted rejects out.
 */

/** Longest line kept; a longer one is counted as 'overlong' and skipped to its end, so memory stays bounded. */
export const MAX_LINE_BYTES = 4096
/** A rejected line is shown to the user shortened to this. */
const DETAIL_CHARS = 80
/** Header candidates kept before the first data line (a sketch may print a banner before its header). */
const MAX_CANDIDATES = 8
const NEWLINE = 0x0a
/** Edge Impulse splits on /[,\t\s]/ and drops empty tokens; runs of separators collapse here the same way. */
const SEPARATORS = /[,\s]+/
/** How firmware prints non-finite floats: Arduino's Print (nan, inf, ovf), printf (-nan), Python, JavaScript. */
const NON_FINITE_WORDS = new Set(['nan', 'inf', 'infinity', 'ovf'])

/** Where the channel names came from. */
export type ChannelNaming = 'header' | 'labels' | 'settings' | 'numbered'

export interface LineChannels {
  names: string[]
  naming: ChannelNaming
}

/**
 * Why a line is not data. `relabel`: a header, label-only line or label naming other channels than the stream
 * has (never remapped silently); `device-error`: the device's own ERR line.
 */
export type LineErrorCause =
  'unparsed' | 'non-finite' | 'wrong-count' | 'relabel' | 'device-error' | 'overlong'

/** Rejected lines of one cause in one push: how many, and the last one (shortened) as an example. */
export interface LineErrors {
  cause: LineErrorCause
  count: number
  detail: string
}

/** What one push decoded. */
export interface DecodedLines {
  /** Data lines. */
  lines: number
  /** Their values, channel-interleaved: line i, channel c at i * channels + c. */
  values: number[]
  /** In the order each cause first occurred in this push. */
  errors: LineErrors[]
}

/** One line on its own, before the stream's channels are known. */
export type ParsedLine =
  | { kind: 'empty' }
  | { kind: 'values'; values: number[] }
  | { kind: 'pairs'; labels: string[]; values: number[] }
  | { kind: 'names'; names: string[]; syntax: 'header' | 'labels' }
  | { kind: 'rejected'; cause: 'unparsed' | 'non-finite' | 'device-error'; reason?: string }

const NON_FINITE = Symbol('non-finite')

/** A finite number, NON_FINITE for NaN and infinities however printed, or null for anything else. */
function numberOf(token: string): number | typeof NON_FINITE | null {
  const value = Number(token)
  if (Number.isFinite(value)) return value
  if (!Number.isNaN(value)) return NON_FINITE
  const word = token[0] === '-' || token[0] === '+' ? token.slice(1) : token
  return NON_FINITE_WORDS.has(word.toLowerCase()) ? NON_FINITE : null
}

/** Values of a data line, or why they are not data. */
function numbers(tokens: string[]): { values: number[] } | { cause: 'unparsed' | 'non-finite' } {
  const values: number[] = []
  let nonFinite = false
  for (const token of tokens) {
    const value = numberOf(token)
    if (value === null) return { cause: 'unparsed' }
    if (value === NON_FINITE) nonFinite = true
    else values.push(value)
  }
  return nonFinite ? { cause: 'non-finite' } : { values }
}

/** Plain tokens: all numbers (data), or all names (a CSV-style header). */
function plainLine(tokens: string[]): ParsedLine {
  const parsed = numbers(tokens)
  if ('values' in parsed) return { kind: 'values', values: parsed.values }
  // Arduino's rule: a numeric token is a value, never a label, so only a line with no number at all names
  // the channels; "temp 23.5" or "a,1,c" is neither.
  if (tokens.some((token) => numberOf(token) !== null)) return { kind: 'rejected', cause: parsed.cause }
  if (new Set(tokens).size !== tokens.length)
    return { kind: 'rejected', cause: 'unparsed', reason: 'a name twice' }
  return { kind: 'names', names: tokens, syntax: 'header' }
}

/** Tokens with ':' (Arduino Serial Plotter): `a:1 b:2` pairs, or `a: b:` naming the channels. */
function labelledLine(tokens: string[]): ParsedLine {
  const labels: string[] = []
  const texts: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    const colon = token.indexOf(':')
    // A bare value among labelled ones has no name to go by.
    if (colon <= 0) return { kind: 'rejected', cause: 'unparsed' }
    let text = token.slice(colon + 1)
    // `Serial.print("eda: "); Serial.println(x)` puts a space after the colon: the value is the next token.
    if (text === '' && i + 1 < tokens.length && !tokens[i + 1].includes(':')) text = tokens[++i]
    labels.push(token.slice(0, colon))
    texts.push(text)
  }
  if (new Set(labels).size !== labels.length)
    return { kind: 'rejected', cause: 'unparsed', reason: 'a label twice' }
  const empty = texts.filter((text) => text === '').length
  if (empty === texts.length) return { kind: 'names', names: labels, syntax: 'labels' }
  if (empty > 0) return { kind: 'rejected', cause: 'unparsed', reason: 'a label without a value' }
  const parsed = numbers(texts)
  if (!('values' in parsed)) return { kind: 'rejected', cause: parsed.cause }
  return { kind: 'pairs', labels, values: parsed.values }
}

/** Parses one line (without its '\n'); surrounding whitespace and '\r' are ignored. */
export function parseLine(line: string): ParsedLine {
  const text = line.trim()
  if (text === '') return { kind: 'empty' }
  const head = text.slice(0, 4).toUpperCase()
  // The data forwarder stops on any line starting with ERR or <ERR: the firmware reporting a fault.
  if (head.startsWith('ERR') || head.startsWith('<ERR')) return { kind: 'rejected', cause: 'device-error' }
  const tokens = text.split(SEPARATORS).filter((token) => token !== '')
  return tokens.some((token) => token.includes(':')) ? labelledLine(tokens) : plainLine(tokens)
}

function shorten(text: string): string {
  const line = text.trim()
  return line.length > DETAIL_CHARS ? `${line.slice(0, DETAIL_CHARS - 1)}…` : line
}

/**
 * Bytes to lines: splits on '\n', keeps a partial line across chunks as bytes (so a UTF-8 character cut by a
 * chunk boundary decodes whole), and drops a line longer than maxBytes instead of growing without bound.
 */
class LineSplitter {
  private pending: Buffer | null = null
  /** Inside an overlong line, already reported: bytes are dropped up to its '\n'. */
  private skipping = false

  constructor(private readonly maxBytes: number) {}

  split(chunk: Buffer, line: (text: string) => void, overlong: (start: string) => void): void {
    let from = 0
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, from)) {
      if (this.skipping) this.skipping = false
      else if ((this.pending?.length ?? 0) + end - from > this.maxBytes) overlong(this.start(chunk, from))
      else if (this.pending) line(Buffer.concat([this.pending, chunk.subarray(from, end)]).toString('utf8'))
      else line(chunk.toString('utf8', from, end))
      this.pending = null
      from = end + 1
    }
    if (from >= chunk.length || this.skipping) return
    if ((this.pending?.length ?? 0) + chunk.length - from > this.maxBytes) {
      overlong(this.start(chunk, from))
      this.pending = null
      this.skipping = true
      return
    }
    // Copied: a view would keep the whole chunk alive, and a transport may reuse its buffer.
    const rest = chunk.subarray(from)
    this.pending = this.pending ? Buffer.concat([this.pending, rest]) : Buffer.from(rest)
  }

  /** The beginning of the line being dropped, for the user to recognise. */
  private start(chunk: Buffer, from: number): string {
    const head = this.pending ?? chunk.subarray(from)
    return `${head.toString('utf8', 0, Math.min(head.length, 40)).trim()}… (over ${this.maxBytes} bytes)`
  }
}

export interface LineDecoderOptions {
  /** Names for lines that carry neither labels nor a header (LinesSettings.channels). */
  channels?: readonly string[]
  maxLineBytes?: number
}

/**
 * The line protocol's state: the channels, fixed by the first data line, and counts of what was not data.
 *
 * Naming, by precedence: `label:value` pairs name their channels in order of first appearance; otherwise the
 * last header or label-only line before the first data line whose count matches it; otherwise
 * options.channels when its count matches; otherwise ch1..chN. The first line after the decoder is made is
 * taken to be cut (the port opened mid-line, Edge Impulse's rule) and is never data; it may still be a header
 * (a sketch printing one at reset), kept like any other candidate if its count matches.
 *
 * After that, a line is data only when it has exactly the stream's values: a pair line must carry every
 * label (missing one rejects the line as 'wrong-count' rather than storing NaN, since samples are never
 * NaN); an unknown label, or a header or label-only line naming other channels, is 'relabel'. The same
 * header again (a device reset) changes nothing.
 */
export class LineDecoder {
  private readonly splitter: LineSplitter
  private locked: LineChannels | null = null
  private positions = new Map<string, number>()
  private candidates: { names: string[]; syntax: 'header' | 'labels' }[] = []
  private firstLine = true
  /** Complete lines seen, data or not, empty ones included. */
  linesSeen = 0
  /** Rejected lines since the decoder was made, by cause. */
  readonly totals: Partial<Record<LineErrorCause, number>> = {}
  /** The last rejected line, shortened, with its cause. */
  lastRejected: string | null = null
  private lastText: string | null = null

  constructor(private readonly options: LineDecoderOptions = {}) {
    this.splitter = new LineSplitter(options.maxLineBytes ?? MAX_LINE_BYTES)
  }

  /** The last complete line, shortened: what the user sees when nothing parses. */
  get lastLine(): string | null {
    return this.lastText === null ? null : shorten(this.lastText)
  }

  /** The stream's channels, once the first data line has fixed them. */
  get channels(): LineChannels | null {
    return this.locked
  }

  push(chunk: Uint8Array): DecodedLines {
    const decoded: DecodedLines = { lines: 0, values: [], errors: [] }
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.splitter.split(
      bytes,
      (text) => this.line(text, decoded),
      (start) => {
        this.linesSeen++
        this.lastText = start
        this.firstLine = false
        this.reject(decoded, 'overlong', start)
      }
    )
    return decoded
  }

  private line(text: string, decoded: DecodedLines): void {
    this.linesSeen++
    const parsed = parseLine(text)
    if (parsed.kind !== 'empty') this.lastText = text
    if (this.firstLine) {
      this.firstLine = false
      if (parsed.kind !== 'names') return
    }
    switch (parsed.kind) {
      case 'empty':
        return
      case 'rejected':
        return this.reject(decoded, parsed.cause, parsed.reason ? `${parsed.reason}: ${text}` : text)
      case 'names':
        return this.names(parsed.names, parsed.syntax, text, decoded)
      case 'values':
        return this.values(parsed.values, text, decoded)
      case 'pairs':
        return this.pairs(parsed.labels, parsed.values, text, decoded)
    }
  }

  private names(names: string[], syntax: 'header' | 'labels', text: string, decoded: DecodedLines): void {
    const locked = this.locked
    if (!locked) {
      this.candidates.push({ names, syntax })
      if (this.candidates.length > MAX_CANDIDATES) this.candidates.shift()
      return
    }
    if (names.length === locked.names.length && names.every((name, c) => name === locked.names[c])) return
    // Words of another count are more likely a message ("calibrating...") than new channels.
    if (syntax === 'header' && names.length !== locked.names.length)
      return this.reject(decoded, 'unparsed', text)
    this.reject(decoded, 'relabel', `names ${names.length} channels, not ${locked.names.join(',')}: ${text}`)
  }

  private values(values: number[], text: string, decoded: DecodedLines): void {
    const count = (this.locked ?? this.lock(this.namesFor(values.length))).names.length
    if (values.length !== count)
      return this.reject(decoded, 'wrong-count', `${values.length} values, not ${count}: ${text}`)
    for (const value of values) decoded.values.push(value)
    decoded.lines++
  }

  private pairs(labels: string[], values: number[], text: string, decoded: DecodedLines): void {
    const count = (this.locked ?? this.lock({ names: labels, naming: 'labels' })).names.length
    const row = new Array<number>(count)
    for (let i = 0; i < labels.length; i++) {
      const position = this.positions.get(labels[i])
      if (position === undefined)
        return this.reject(decoded, 'relabel', `unknown label ${labels[i]}: ${text}`)
      row[position] = values[i]
    }
    // Labels are distinct and known, so fewer of them means some channel is missing from the line.
    if (labels.length !== count)
      return this.reject(decoded, 'wrong-count', `${labels.length} labels, not ${count}: ${text}`)
    for (const value of row) decoded.values.push(value)
    decoded.lines++
  }

  private namesFor(count: number): LineChannels {
    for (let i = this.candidates.length - 1; i >= 0; i--) {
      const candidate = this.candidates[i]
      if (candidate.names.length === count) return { names: candidate.names, naming: candidate.syntax }
    }
    const given = this.options.channels
    if (given?.length === count) return { names: [...given], naming: 'settings' }
    return { names: Array.from({ length: count }, (_, c) => `ch${c + 1}`), naming: 'numbered' }
  }

  private lock(channels: LineChannels): LineChannels {
    this.locked = channels
    this.positions = new Map(channels.names.map((name, c) => [name, c]))
    this.candidates = []
    return channels
  }

  private reject(decoded: DecodedLines, cause: LineErrorCause, detail: string): void {
    const shortened = shorten(detail)
    const errors = decoded.errors.find((entry) => entry.cause === cause)
    if (errors) {
      errors.count++
      errors.detail = shortened
    } else decoded.errors.push({ cause, count: 1, detail: shortened })
    this.totals[cause] = (this.totals[cause] ?? 0) + 1
    this.lastRejected = `${cause}: ${shortened}`
  }
}
