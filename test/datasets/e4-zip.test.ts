import { zipSync } from 'fflate'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readZipEntries, ZIP_LIMITS } from '../../src-main/datasets/e4/zip-entries'
import { FileFormatError } from '../../src-main/errors'
import { importDataset } from '../../src-main/datasets/import-service'
import { SignalStore } from '../../src-main/store/signal-store'
import { dumpStudy, FIXTURES, newStudy, temporaryFolder } from './study-helpers'

const SESSION = join(FIXTURES, 'e4-connect', '1635148245_A00204')
const REAL_ZIP = join(__dirname, '../../../shared/real-data/e4_A00204.zip')

function sessionEntries(): Record<string, Uint8Array> {
  return Object.fromEntries(readdirSync(SESSION).map((name) => [name, readFileSync(join(SESSION, name))]))
}

function writeZip(bytes: Uint8Array, name = '1635148245_A00204.zip'): string {
  const path = join(temporaryFolder(), name)
  writeFileSync(path, bytes)
  return path
}

/** The central directory record of `name`, where its sizes and CRC are. */
function directoryRecord(zip: Buffer, name: string): number {
  for (let at = zip.indexOf('PK\u0001\u0002'); at >= 0; at = zip.indexOf('PK\u0001\u0002', at + 4)) {
    const length = zip.readUInt16LE(at + 28)
    if (zip.toString('latin1', at + 46, at + 46 + length) === name) return at
  }
  throw new Error(`no ${name} in the zip`)
}

function importError(path: string): FileFormatError {
  const study = newStudy()
  importDataset(study, { kind: 'e4', path: join(FIXTURES, 'e4-connect'), participant: 'base' })
  const before = dumpStudy(study)
  let thrown: unknown
  try {
    importDataset(study, { kind: 'e4', path, participant: 'Z1' })
  } catch (error) {
    thrown = error
  }
  expect(dumpStudy(study)).toBe(before)
  study.close()
  expect(thrown).toBeInstanceOf(FileFormatError)
  return thrown as FileFormatError
}

describe('E4 Connect zips: sizes are bounded before inflating, and what is inflated is checked', () => {
  it('imports the real export with every sample the README counts and no gap', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'e4', path: REAL_ZIP, participant: 'A00204' })
    const counts = Object.fromEntries(report.participants[0].streams.map((s) => [s.name, s.samples]))
    expect(counts).toEqual({ bvp: 215_732, eda: 13_482, temp: 13_480, acc: 107_868, hr: 3_361, ibi: 2_258 })
    expect(report.totals.markers).toBe(10)
    // The limits must not turn real data into gaps: the only problems are the ones the export has.
    expect(report.participants[0].problems.filter((p) => p.includes('gaps'))).toEqual([])
    const [session] = study.listSessions()
    const acc = new SignalStore(study.db).read(session.streams.find((s) => s.name === 'acc')!.id)
    expect(acc.samples.reduce((low, v) => Math.min(low, v), 0)).toBe(-128)
    expect(acc.samples.reduce((high, v) => Math.max(high, v), 0)).toBe(127)
    study.close()
  })

  it('refuses an entry that declares 4 GiB before inflating anything', () => {
    const zip = Buffer.from(zipSync(sessionEntries()))
    zip.writeUInt32LE(0xffffffff, directoryRecord(zip, 'BVP.csv') + 24)
    const path = writeZip(zip)
    expect(importError(path).message).toBe(
      `${path}: entry "BVP.csv" declares 4 GiB, above the 256 MiB one file may have (refused before inflating)`
    )
  })

  it('refuses an entry that inflates past what it declares (a zip bomb behind a small size)', () => {
    // 8 MiB of zeros deflate to a few KB; the directory says 100 bytes. Inflation stops at 100.
    const zip = Buffer.from(zipSync({ ...sessionEntries(), 'BVP.csv': new Uint8Array(8 * 1024 * 1024) }))
    zip.writeUInt32LE(100, directoryRecord(zip, 'BVP.csv') + 24)
    const path = writeZip(zip)
    expect(importError(path).message).toBe(
      `${path}: entry "BVP.csv" inflates past the 100 bytes it declares (a damaged or hostile zip)`
    )
  })

  it('keeps the inflated total under its limit and inflates only the entries it reads', () => {
    const zip = Buffer.from(zipSync({ ...sessionEntries(), 'unread.bin': new Uint8Array(4096) }))
    // An entry nobody reads may declare anything: it is never inflated.
    zip.writeUInt32LE(0xffffffff, directoryRecord(zip, 'unread.bin') + 24)
    const path = writeZip(zip)
    const entries = readZipEntries(path, { ...ZIP_LIMITS, totalBytes: 200 })
    const read = (name: string) => entries.find((entry) => entry.name === name)!.read()
    expect(read('ACC.csv').length).toBe(124)
    expect(() => read('IBI.csv')).toThrow(
      `${path}: entry "IBI.csv" would take the zip past 200 bytes inflated (refused before inflating)`
    )
    expect(() => readZipEntries(path, { ...ZIP_LIMITS, zipBytes: 1000 })).toThrow(
      /above the 1000 bytes a zip may have$/
    )
  })

  it('refuses a stored entry with a flipped byte by its CRC (fflate imported 12.35 as 12.95 without a word)', () => {
    const zip = Buffer.from(zipSync(sessionEntries(), { level: 0 }))
    const at = zip.indexOf('12.35')
    zip[at + 3] = '9'.charCodeAt(0)
    const path = writeZip(zip)
    expect(importError(path).message).toBe(`${path}: entry "BVP.csv" fails its CRC check: the zip is damaged`)
  })

  it('refuses two sessions in one zip (before, the last BVP.csv silently won)', () => {
    const entries = sessionEntries()
    const zip = zipSync({
      ...Object.fromEntries(Object.entries(entries).map(([name, content]) => [`a/${name}`, content])),
      'b/BVP.csv': entries['BVP.csv']
    })
    const path = writeZip(zip)
    expect(importError(path).message).toBe(
      `${path}: two entries named BVP.csv: "a/BVP.csv" and "b/BVP.csv"; zip one session at a time`
    )
  })

  it('names a truncated zip, an unknown compression method and a damaged deflate stream', () => {
    const zip = Buffer.from(zipSync(sessionEntries()))
    const truncated = writeZip(zip.subarray(0, zip.length - 10))
    expect(importError(truncated).message).toBe(
      `${truncated}: not a readable zip (no end-of-directory record: truncated, or not a zip)`
    )
    const method = Buffer.from(zip)
    method.writeUInt16LE(99, directoryRecord(method, 'EDA.csv') + 10)
    const methodPath = writeZip(method)
    expect(importError(methodPath).message).toBe(
      `${methodPath}: entry "EDA.csv" uses compression method 99, not stored or deflated`
    )
    const damaged = Buffer.from(
      zipSync({ ...sessionEntries(), 'BVP.csv': Buffer.from('1635148245\n64\n'.repeat(200)) })
    )
    const record = directoryRecord(damaged, 'BVP.csv')
    const local = damaged.readUInt32LE(record + 42)
    const data = local + 30 + damaged.readUInt16LE(local + 26) + damaged.readUInt16LE(local + 28)
    damaged[data] = 0xff
    const damagedPath = writeZip(damaged)
    expect(importError(damagedPath).message).toMatch(
      new RegExp(`^${damagedPath}: entry "BVP.csv" is damaged \\(`)
    )
  })
})
