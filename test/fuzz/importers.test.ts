import fc from 'fast-check'
import { unzipSync, zipSync } from 'fflate'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { CsvMapping } from '../../src-main/datasets/generic-csv'
import { importDataset } from '../../src-main/datasets/import-service'
import { FIXTURES, fixtureCopy, newStudy, temporaryFolder } from '../datasets/study-helpers'
import { readNamedColumns, withLineFeeds } from '../../src-main/datasets/csv-reader'
import { MAX_STORABLE } from '../../src-main/datasets/limits'
import {
  applyAll,
  BAD_TOKENS,
  expectImportOutcome,
  expectNamedError,
  expectNoCollectedFailures,
  fuzzParameters,
  mutations,
  tally,
  type Mutation
} from './fuzz-support'

const REAL_ZIP = join(__dirname, '../../../shared/real-data/e4_A00204.zip')

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

function describeCase(file: string, list: Mutation[]): string {
  return `${file}: ${list.map((m) => m.name).join('; ')}`
}

/** A study with an import in it already, so that "unchanged" after a failure means something. */
function studyWithData() {
  const study = newStudy()
  importDataset(study, { kind: 'e4', path: join(FIXTURES, 'e4-connect'), participant: 'base' })
  return study
}

describe('the CSV reader under every importer', () => {
  it('reads mutated tables into finite, storable numbers with true line numbers, or names file and line', () => {
    const table = fc.record({
      header: fc.constantFrom('timestamp,value,device_serial', ' timestamp , value ', 'value,timestamp'),
      rows: fc.array(
        fc.tuple(
          fc.integer({ min: 1_500_000_000_000, max: 1_800_000_000_000 }),
          fc.double({ min: -1e6, max: 1e6, noNaN: true })
        ),
        { maxLength: 30 }
      ),
      missing: fc.boolean()
    })
    fc.assert(
      fc.property(table, fc.option(mutations, { freq: 4 }), ({ header, rows, missing }, list) => {
        const text = `${header}\n${rows.map(([t, v]) => `${t},${v},A1`).join('\n')}\n`
        const bytes = withLineFeeds(list ? applyAll(Buffer.from(text), list) : Buffer.from(text))
        let read: ReturnType<typeof readNamedColumns>
        try {
          read = readNamedColumns(bytes, 'E4_BVP.csv', ['timestamp', 'value'], { allowMissing: missing })
        } catch (error) {
          expectNamedError(error, `${JSON.stringify(text.slice(0, 200))} ${list?.map((m) => m.name)}`)
          tally('csv-reader', (error as Error).name)
          return
        }
        for (const column of read.columns) {
          for (const value of column) {
            if (!(Number.isNaN(value) ? missing : Math.abs(value) <= MAX_STORABLE))
              throw new Error(`read ${value} from ${JSON.stringify(text.slice(0, 200))}`)
          }
        }
        for (let i = 1; i < read.rowCount; i++) expect(read.lines[i]).toBeGreaterThan(read.lines[i - 1])
        tally('csv-reader', 'read')
      }),
      fuzzParameters(1000)
    )
  })
})

describe('fuzzed importers end in a success or a named error, never a crash or a half-written study', () => {
  it('K-EmoCon: mutated CSVs of the quirks copy', () => {
    const copy = fixtureCopy('kemocon-quirks')
    const files = filesUnder(copy).sort()
    const originals = new Map(files.map((path) => [path, readFileSync(path)]))
    const study = studyWithData()
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(files.length - 1), mutations, fc.boolean()), { minLength: 1, maxLength: 2 }),
        (edits) => {
          const labels: string[] = []
          try {
            for (const [index, list, remove] of edits) {
              const path = files[index]
              const file = relative(copy, path)
              // A file removed by an earlier edit of this case stays removed.
              if (!existsSync(path)) continue
              // Now and then a file goes missing altogether, as in a partial download.
              if (remove && list.length === 1 && list[0].name === 'empty') {
                rmSync(path)
                labels.push(`${file}: removed`)
              } else {
                writeFileSync(path, applyAll(readFileSync(path), list))
                labels.push(describeCase(file, list))
              }
            }
            const label = labels.join(' | ')
            expectImportOutcome(study, 'kemocon', label, () =>
              importDataset(study, { kind: 'kemocon', path: copy })
            )
          } finally {
            for (const [path, bytes] of originals) writeFileSync(path, bytes)
          }
        }
      ),
      fuzzParameters(150)
    )
    expectNoCollectedFailures()
    study.close()
  })

  it('E4 Connect: mutated files of a session folder', () => {
    const copy = fixtureCopy('e4-connect')
    const session = join(copy, '1635148245_A00204')
    const files = readdirSync(session).sort()
    const originals = new Map(files.map((name) => [name, readFileSync(join(session, name))]))
    const study = studyWithData()
    fc.assert(
      fc.property(fc.nat(files.length - 1), mutations, (index, list) => {
        const path = join(session, files[index])
        try {
          writeFileSync(path, applyAll(originals.get(files[index])!, list))
          expectImportOutcome(study, 'e4-folder', describeCase(files[index], list), () =>
            importDataset(study, { kind: 'e4', path: session, participant: 'F1' })
          )
        } finally {
          writeFileSync(path, originals.get(files[index])!)
        }
      }),
      fuzzParameters(150)
    )
    expectNoCollectedFailures()
    study.close()
  })

  it('E4 Connect: corrupted zips (entries mutated, bytes flipped, sizes and names patched)', () => {
    // The first few hundred rows of a real export: real formatting, small enough for many cases.
    const real = unzipSync(new Uint8Array(readFileSync(REAL_ZIP)))
    const base: Record<string, Uint8Array> = {}
    for (const [name, content] of Object.entries(real)) {
      base[name] = Buffer.from(
        Buffer.from(content).toString('latin1').split('\n').slice(0, 300).join('\n'),
        'latin1'
      )
    }
    const names = Object.keys(base).sort()
    const dir = temporaryFolder()
    const study = studyWithData()
    const zipLevel = fc.oneof(
      { arbitrary: fc.constant('none'), weight: 4 },
      fc.constant('stored'),
      fc
        .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 }))
        .map(([f, xor]) => ({ flip: f, xor })),
      fc.double({ min: 0, max: 1, noNaN: true }).map((f) => ({ truncate: f })),
      fc
        .tuple(fc.nat(names.length - 1), fc.constantFrom(0, 1, 100, 0x7fffffff, 0xffffffff))
        .map(([entry, size]) => ({ declare: entry, size })),
      fc
        .tuple(fc.nat(names.length - 1), fc.nat(0xffffffff))
        .map(([entry, crc]) => ({ crc: entry, value: crc })),
      fc.nat(names.length - 1).map((entry) => ({ method: entry })),
      fc.nat(names.length - 1).map((entry) => ({ twice: entry }))
    )
    fc.assert(
      fc.property(fc.nat(names.length - 1), fc.option(mutations), zipLevel, (index, list, zip) => {
        const entries: Record<string, Uint8Array> = { ...base }
        if (list) entries[names[index]] = applyAll(Buffer.from(base[names[index]]), list)
        if (typeof zip === 'object' && 'twice' in zip) {
          // The same file name in two folders of one zip: which one is the session's?
          const name = names[zip.twice]
          entries[`a/${name}`] = entries[name]
          entries[`b/${name}`] = applyAll(Buffer.from(entries[name]), [
            { name: 'other', apply: (b) => Buffer.concat([b, Buffer.from('\n')]) }
          ])
          delete entries[name]
        }
        let bytes: Buffer = Buffer.from(zipSync(entries, { level: zip === 'stored' ? 0 : 6 }))
        if (typeof zip === 'object') bytes = corruptZip(bytes, zip, names)
        const path = join(dir, '1635148245_A00204.zip')
        writeFileSync(path, bytes)
        const label = `${list ? describeCase(names[index], list) : 'entries intact'}; zip ${JSON.stringify(zip)}`
        expectImportOutcome(study, 'e4-zip', label, () =>
          importDataset(study, { kind: 'e4', path, participant: 'Z1' })
        )
      }),
      fuzzParameters(150)
    )
    expectNoCollectedFailures()
    study.close()
  })

  it('lab CSV: generated files and mappings, then mutated', () => {
    const dir = temporaryFolder()
    const study = studyWithData()
    // Mostly sound files, so that the mutations and the odd values land on a file that would import.
    const odd = fc.constantFrom(0, -1, NaN, Infinity, -Infinity, 1e-300, 1e300, 3.4e39)
    const often = <T, U>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: usual, weight: 5 }, { arbitrary: rare, weight: 1 })
    const file = fc.record({
      channels: fc.integer({ min: 1, max: 3 }),
      rows: fc.integer({ min: 1, max: 40 }),
      timed: fc.boolean(),
      seconds: fc.boolean(),
      startMs: often(fc.integer({ min: 1_500_000_000_000, max: 1_800_000_000_000 }), odd),
      rateHz: often(fc.constantFrom(1, 4, 64, 1000), odd),
      known: fc.boolean(),
      // Values an EDA column may hold, and now and then one that breaks it (or lies outside 0..100).
      values: fc.array(fc.double({ min: -5, max: 120, noNaN: true }), { minLength: 1, maxLength: 20 }),
      bad: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...BAD_TOKENS)), { freq: 2 }),
      timeUnit: fc.constantFrom('s', 'ms', 'auto', undefined),
      relative: fc.boolean()
    })
    fc.assert(
      fc.property(file, fc.option(mutations, { freq: 2 }), (spec, list) => {
        const columns = Array.from({ length: spec.channels }, (_, c) =>
          spec.known && c === 0 ? 'eda' : `v${c}`
        )
        const header = [spec.timed ? 't' : undefined, ...columns].filter((c) => c !== undefined).join(',')
        const lines = [header]
        for (let i = 0; i < spec.rows; i++) {
          const base = spec.relative ? 0 : Number.isFinite(spec.startMs) ? spec.startMs : 1.7e12
          const t = base + i * 250
          const cells = columns.map((_, c) => {
            const k = i * spec.channels + c
            return spec.bad && spec.bad[0] % (spec.rows * spec.channels) === k
              ? spec.bad[1]
              : String(spec.values[k % spec.values.length])
          })
          lines.push([...(spec.timed ? [spec.seconds ? t / 1000 : t] : []), ...cells].join(','))
        }
        const path = join(dir, 'lab.csv')
        const content = Buffer.from(`${lines.join('\n')}\n`)
        writeFileSync(path, list ? applyAll(content, list) : content)
        const mapping: CsvMapping = {
          participant: 'L1',
          stream: spec.known ? 'eda' : 'lab',
          columns,
          unit: spec.known ? 'uS' : 'mixed',
          ...(spec.timed
            ? {
                timeColumn: 't',
                timeUnit: spec.timeUnit,
                ...(spec.relative ? { startMs: spec.startMs } : {})
              }
            : { rateHz: spec.rateHz, startMs: spec.startMs })
        }
        const label = `${JSON.stringify({ ...spec, values: spec.values.slice(0, 4) })} ${list?.map((m) => m.name).join('; ') ?? ''}`
        expectImportOutcome(study, 'csv', label, () => importDataset(study, { kind: 'csv', path, mapping }))
      }),
      fuzzParameters(250)
    )
    expectNoCollectedFailures()
    study.close()
  })
})

type ZipDamage =
  | { flip: number; xor: number }
  | { truncate: number }
  | { declare: number; size: number }
  | { crc: number; value: number }
  | { method: number }
  | { twice: number }

/** Damages a zip the way a bad download or a hostile archive would: in its bytes or its central directory. */
function corruptZip(bytes: Buffer, damage: ZipDamage, names: string[]): Buffer {
  const copy = Buffer.from(bytes)
  if ('flip' in damage) {
    copy[Math.min(copy.length - 1, Math.floor(damage.flip * copy.length))] ^= damage.xor
    return copy
  }
  if ('truncate' in damage) return copy.subarray(0, Math.floor(damage.truncate * copy.length))
  if ('twice' in damage) return copy
  const entry = 'declare' in damage ? damage.declare : 'crc' in damage ? damage.crc : damage.method
  // Find the entry's central directory record (signature PK\1\2) by its name.
  for (let at = copy.indexOf('PK\u0001\u0002'); at >= 0; at = copy.indexOf('PK\u0001\u0002', at + 4)) {
    const nameLength = copy.readUInt16LE(at + 28)
    if (copy.toString('latin1', at + 46, at + 46 + nameLength) !== names[entry]) continue
    if ('declare' in damage) copy.writeUInt32LE(damage.size, at + 24)
    else if ('crc' in damage) copy.writeUInt32LE(damage.value, at + 16)
    else copy.writeUInt16LE(99, at + 10)
    break
  }
  return copy
}
