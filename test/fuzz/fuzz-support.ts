import fc from 'fast-check'
import { afterAll, expect } from 'vitest'
import { E4_STREAMS } from '../../src-main/datasets/e4-streams'
import { EmohealError, FileFormatError } from '../../src-main/errors'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { EPOCH_LIMITS_MS, MAX_RATE_HZ } from '../../src-main/store/import-writer'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { dumpStudy } from '../datasets/study-helpers'

/**
 * The bounded run is part of `npm test`; EMOHEAL_FUZZ_RUNS multiplies every property's runs for a longer
 * hunt (e.g. EMOHEAL_FUZZ_RUNS=50 npx vitest run test/fuzz --testTimeout 0), and EMOHEAL_FUZZ_SEED
 * replays another seed. A failure prints its seed and path, so fast-check can replay it exactly.
 */
const SCALE = Math.max(1, Number(process.env.EMOHEAL_FUZZ_RUNS ?? 1) || 1)
const SEED = Number(process.env.EMOHEAL_FUZZ_SEED ?? 154) || 154

export function fuzzParameters(baseRuns: number): fc.Parameters<unknown> {
  return { numRuns: Math.round(baseRuns * SCALE), seed: SEED, endOnFailure: true }
}

/** What the cases of one property ended in, printed once the file is done: the figures of a long run. */
const tallies = new Map<string, Map<string, number>>()

export function tally(property: string, outcome: string): void {
  const counts = tallies.get(property) ?? new Map<string, number>()
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  tallies.set(property, counts)
}

afterAll(() => {
  for (const [property, counts] of tallies) {
    const total = [...counts.values()].reduce((sum, n) => sum + n, 0)
    const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`)
    console.log(`fuzz ${property}: ${total} cases (seed ${SEED}): ${parts.join(', ')}`)
  }
})

// --- Mutations of a valid file --------------------------------------------------------------------------

/** Tokens that have broken number readers somewhere: overflow, words, look-alike digits, stray quotes. */
export const BAD_TOKENS = [
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  '1e39',
  '-3.5e38',
  '3.4028235e38',
  '1e308',
  '9'.repeat(400),
  '99999999999999999999',
  '5e-324',
  '-0',
  '0',
  '0x1F',
  '1_000',
  '１２３',
  '',
  ' ',
  'x',
  '"',
  '""',
  '"1,2"',
  '-',
  '.',
  '1e',
  '1.2.3',
  '+-1',
  '\0',
  '\u00a0',
  '\ufeff',
  '\u202e',
  '2e9',
  '-2e9',
  '1e15',
  '1635148245',
  '1e-320',
  '300',
  '-5'
]

export interface Mutation {
  name: string
  apply: (input: Buffer) => Buffer
}

const at = (input: Buffer, fraction: number) =>
  Math.min(input.length, Math.floor(fraction * (input.length + 1)))

function linesOf(input: Buffer): string[] {
  return input.toString('latin1').split('\n')
}

function joinLines(lines: string[]): Buffer {
  return Buffer.from(lines.join('\n'), 'latin1')
}

const fraction = fc.double({ min: 0, max: 1, noNaN: true })
const badToken = fc.constantFrom(...BAD_TOKENS)
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1')

/** One change to a file's bytes; several of them make a case. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fraction.map((f) => ({
    name: `truncate at ${f.toFixed(3)}`,
    apply: (input: Buffer) => input.subarray(0, at(input, f))
  })),
  fc
    .tuple(
      fraction,
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        badToken.map((t) => Buffer.from(t))
      )
    )
    .map(([f, bytes]) => ({
      name: `insert ${JSON.stringify(Buffer.from(bytes).toString('latin1'))} at ${f.toFixed(3)}`,
      apply: (input: Buffer) =>
        Buffer.concat([input.subarray(0, at(input, f)), bytes, input.subarray(at(input, f))])
    })),
  fc.tuple(fraction, fc.integer({ min: 1, max: 40 })).map(([f, length]) => ({
    name: `delete ${length} bytes at ${f.toFixed(3)}`,
    apply: (input: Buffer) =>
      Buffer.concat([input.subarray(0, at(input, f)), input.subarray(at(input, f) + length)])
  })),
  fc.tuple(fraction, fc.integer({ min: 1, max: 255 })).map(([f, xor]) => ({
    name: `flip byte at ${f.toFixed(3)} by ${xor}`,
    apply: (input: Buffer) => {
      const copy = Buffer.from(input)
      const i = Math.min(copy.length - 1, at(input, f))
      if (i >= 0) copy[i] ^= xor
      return copy
    }
  })),
  fc.tuple(fc.nat(200), badToken).map(([k, token]) => ({
    name: `number ${k} -> ${JSON.stringify(token)}`,
    apply: (input: Buffer) => {
      const text = input.toString('latin1')
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?/g)]
      if (numbers.length === 0) return input
      const hit = numbers[k % numbers.length]
      return Buffer.from(
        text.slice(0, hit.index) + latin1(token) + text.slice(hit.index! + hit[0].length),
        'latin1'
      )
    }
  })),
  fc.tuple(fc.nat(5), fc.nat(5)).map(([a, b]) => ({
    name: `swap columns ${a} and ${b}`,
    apply: (input: Buffer) =>
      joinLines(
        linesOf(input).map((line) => {
          const cells = line.split(',')
          if (a >= cells.length || b >= cells.length) return line
          ;[cells[a], cells[b]] = [cells[b], cells[a]]
          return cells.join(',')
        })
      )
  })),
  fc.tuple(fc.nat(50), fc.nat(50)).map(([a, b]) => ({
    name: `swap lines ${a} and ${b}`,
    apply: (input: Buffer) => {
      const lines = linesOf(input)
      if (a >= lines.length || b >= lines.length) return input
      ;[lines[a], lines[b]] = [lines[b], lines[a]]
      return joinLines(lines)
    }
  })),
  fc.tuple(fc.nat(50), fc.boolean()).map(([k, drop]) => ({
    name: `${drop ? 'drop' : 'repeat'} line ${k}`,
    apply: (input: Buffer) => {
      const lines = linesOf(input)
      if (k >= lines.length) return input
      lines.splice(k, drop ? 1 : 0, ...(drop ? [] : [lines[k]]))
      return joinLines(lines)
    }
  })),
  fc.constant({
    name: 'BOM',
    apply: (input: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), input])
  }),
  fc.constant({
    name: 'CRLF',
    apply: (input: Buffer) => Buffer.from(input.toString('latin1').replace(/\n/g, '\r\n'), 'latin1')
  }),
  fc.constant({
    name: 'CR only',
    apply: (input: Buffer) => Buffer.from(input.toString('latin1').replace(/\n/g, '\r'), 'latin1')
  }),
  fc.constant({ name: 'empty', apply: () => Buffer.alloc(0) }),
  fc
    .constantFrom(
      'timestamp,value',
      'time,val,serial',
      '',
      ',,,',
      'value,timestamp,device_serial',
      '1,2,3',
      '\u0000\u0001',
      '"a,b",c'
    )
    .map((header) => ({
      name: `header -> ${JSON.stringify(header)}`,
      apply: (input: Buffer) => {
        const lines = linesOf(input)
        lines[0] = latin1(header)
        return joinLines(lines)
      }
    })),
  fc.tuple(fraction, fc.integer({ min: 1, max: 20_000 })).map(([f, length]) => ({
    name: `a ${length}-byte run of digits at ${f.toFixed(3)}`,
    apply: (input: Buffer) =>
      Buffer.concat([
        input.subarray(0, at(input, f)),
        Buffer.alloc(length, '7'),
        input.subarray(at(input, f))
      ])
  }))
)

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 })

export function applyAll(input: Buffer, list: Mutation[]): Buffer {
  return list.reduce((bytes, m) => m.apply(bytes), input)
}

// --- The oracle ------------------------------------------------------------------------------------------

/** The errors a bad input may end in: each names what was wrong; anything else is a crash. */
const NAMED = new Set(['FileFormatError', 'ValidationError', 'NotFoundError', 'ConflictError'])

/** Raw control characters, replacement characters, BOMs and bidi overrides must not reach a message unescaped. */
function hasUnsafeCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a) ||
      code === 0x7f ||
      code === 0xfffd ||
      code === 0xfeff
    )
      return true
    if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return true
  }
  return false
}

export function expectNamedError(error: unknown, label: string): void {
  if (!(error instanceof EmohealError) || !NAMED.has(error.name)) {
    throw new Error(`${label}: not a named error: ${(error as Error)?.stack ?? String(error)}`)
  }
  expect(error.message.length, `${label}: message length`).toBeGreaterThan(0)
  expect(error.message.length, `${label}: ${error.message.slice(0, 300)}`).toBeLessThanOrEqual(1200)
  expect(
    hasUnsafeCharacter(error.message),
    `${label}: unescaped bytes in ${JSON.stringify(error.message)}`
  ).toBe(false)
  if (error instanceof FileFormatError) {
    expect(error.message.startsWith(error.file), label).toBe(true)
    if (error.line !== undefined) expect(Number.isInteger(error.line) && error.line >= 1, label).toBe(true)
  }
  // The plan check in the writer is the last line of defence: reaching it means an importer let bad data through.
  expect(error.field, `${label}: the writer caught what the importer missed: ${error.message}`).not.toBe(
    'plan'
  )
}

const RANGES = new Map(
  E4_STREAMS.map((kind) => [`${kind.name} ${kind.unit} ${kind.channels.length}`, kind.range])
)

/** The sessions an import wrote, from its record (row ids of replaced sessions are reused, so ids cannot say). */
function sessionsOfImport(study: StudyStore, importId: number): Set<number> {
  const row = study.db.prepare('SELECT session_ids FROM import_record WHERE id = ?').get(importId) as
    { session_ids: string } | undefined
  if (!row) throw new Error(`import ${importId} has no record`)
  return new Set(JSON.parse(row.session_ids) as number[])
}

function inEpoch(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EPOCH_LIMITS_MS.min && ms < EPOCH_LIMITS_MS.max
}

/** Whatever an import stored must be finite, in time, in order and (for wristband streams) physically possible. */
function expectStoredDataSound(study: StudyStore, importId: number, label: string): number {
  const ids = sessionsOfImport(study, importId)
  const signals = new SignalStore(study.db)
  const annotations = new AnnotationStore(study.db)
  let samples = 0
  for (const session of study.listSessions().filter((s) => ids.has(s.id))) {
    const where = `${label}: session ${session.name}`
    expect(inEpoch(session.startMs), `${where}: startMs ${session.startMs}`).toBe(true)
    if (session.durationMs !== null) expect(session.durationMs >= 0, where).toBe(true)
    for (const stream of session.streams) {
      const at = `${where}, stream ${stream.name}`
      expect(Number.isFinite(stream.rateHz) && stream.rateHz >= 0 && stream.rateHz <= MAX_RATE_HZ, at).toBe(
        true
      )
      const data = signals.read(stream.id)
      samples += data.times.length
      for (let i = 0; i < data.times.length; i++) {
        if (!inEpoch(data.times[i]) || (i > 0 && !(data.times[i] > data.times[i - 1]))) {
          throw new Error(`${at}: time ${i} is ${data.times[i]} after ${data.times[i - 1]}`)
        }
      }
      const range = RANGES.get(`${stream.name} ${stream.unit} ${stream.channels.length}`)
      for (const value of data.samples) {
        if (!Number.isFinite(value)) throw new Error(`${at}: a stored sample is ${value}`)
        if (range && (value < range.min || value > range.max))
          throw new Error(`${at}: a stored sample is ${value}`)
      }
    }
    for (const marker of annotations.listMarkers(session.id)) {
      expect(inEpoch(marker.timeMs), `${where}: marker at ${marker.timeMs}`).toBe(true)
    }
    for (const a of annotations.listAnnotations(session.id)) {
      expect(inEpoch(a.startMs) && inEpoch(a.endMs), `${where}: annotation at ${a.endMs}`).toBe(true)
      for (const value of Object.values(a.emotions)) {
        if (value !== null) expect(value >= 0 && value <= 5, `${where}: emotion ${value}`).toBe(true)
      }
    }
  }
  return samples
}

/**
 * EMOHEAL_FUZZ_COLLECT=1 keeps going past a failing case and lists every one (for a long hunt, to see
 * all that is wrong at once); the property still fails at its end. Without it the first failure stops the
 * run and fast-check shrinks it to a small case.
 */
const COLLECT = process.env.EMOHEAL_FUZZ_COLLECT === '1'
const collected: string[] = []

/** Fails the test when collecting found failures; a no-op otherwise (fast-check has thrown already). */
export function expectNoCollectedFailures(): void {
  const found = collected.splice(0)
  for (const failure of found) console.log(`FAILED ${failure}`)
  expect(found.length, `${found.length} failing cases, listed above`).toBe(0)
}

/**
 * Runs one import against a study that already holds data: it must either succeed and store only sound
 * data, or fail with a named error and leave every row of the study as it was. What a success wrote is
 * then removed, so that every case starts from the same study.
 */
export function expectImportOutcome(
  study: StudyStore,
  property: string,
  label: string,
  run: () => { totals: { samples: number }; importId?: number }
): void {
  if (!COLLECT) return checkOneImport(study, property, label, run)
  try {
    checkOneImport(study, property, label, run)
  } catch (error) {
    collected.push((error as Error).message.slice(0, 1000).replace(/\n/g, ' '))
    tally(property, 'FAILED')
  }
}

function checkOneImport(
  study: StudyStore,
  property: string,
  label: string,
  run: () => { totals: { samples: number }; importId?: number }
): void {
  const before = dumpStudy(study)
  let report: { totals: { samples: number }; importId?: number }
  try {
    report = run()
  } catch (error) {
    expectNamedError(error, label)
    expect(dumpStudy(study), `${label}: a failed import changed the study`).toBe(before)
    tally(property, (error as Error).name)
    return
  }
  const stored = expectStoredDataSound(study, report.importId!, label)
  expect(stored, `${label}: stored samples against the report`).toBe(report.totals.samples)
  tally(property, 'imported')
  const ids = [...sessionsOfImport(study, report.importId!)]
  study.db
    .prepare('DELETE FROM session WHERE id IN (SELECT value FROM json_each(?))')
    .run(JSON.stringify(ids))
  study.db.prepare('DELETE FROM import_record WHERE id = ?').run(report.importId!)
}
