import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { ConflictError, FileFormatError } from '../../src-main/errors'
import { importDataset } from '../../src-main/datasets/import-service'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { SignalStore } from '../../src-main/store/signal-store'
import { dumpStudy, FIXTURES, fixtureCopy, newStudy, temporaryFolder } from './study-helpers'

const SESSIONS = join(FIXTURES, 'e4-connect')
const FIRST = join(SESSIONS, '1635148245_A00204')

function zipOf(folder: string, into: string): string {
  const entries: Record<string, Uint8Array> = {}
  for (const name of readdirSync(folder)) entries[name] = readFileSync(join(folder, name))
  const path = join(into, `${folder.split('/').pop()}.zip`)
  writeFileSync(path, zipSync(entries))
  return path
}

describe('E4 Connect import', () => {
  it('times each sample from the start-time and rate rows, and turns tags into markers', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'e4', path: FIRST, participant: 'S01' })
    const [session] = study.listSessions()
    expect(session).toMatchObject({
      participantCode: 'S01',
      name: 'E4 1635148245_A00204',
      startMs: 1635148245000,
      source: 'e4'
    })
    const signals = new SignalStore(study.db)
    const stream = (name: string) => signals.read(session.streams.find((s) => s.name === name)!.id)
    const bvp = stream('bvp')
    expect(Array.from(bvp.times)).toEqual([0, 1, 2, 3, 4].map((k) => 1635148245000 + (k * 1000) / 64))
    // The file says -0.00.
    expect(Array.from(bvp.samples)).toEqual([-0, 12.35, 20.61, -5.12, -14].map(Math.fround))
    const acc = stream('acc')
    expect(Array.from(acc.times)).toEqual([0, 1, 2, 3].map((k) => 1635148245000 + (k * 1000) / 32))
    expect(Array.from(acc.samples.subarray(0, 3))).toEqual([-21, 4, 60])
    // HR starts 10 s after the session (its own start row says so).
    expect(Array.from(stream('hr').times)).toEqual([1635148255000, 1635148256000])
    const ibi = stream('ibi')
    expect(Array.from(ibi.times)).toEqual([39.1875, 40, 41.765625].map((s) => (1635148245 + s) * 1000))
    expect(Array.from(ibi.samples)).toEqual([0.71875, 0.8125, 0.921875])
    const markers = new AnnotationStore(study.db).listMarkers(session.id)
    expect(markers.map((m) => [m.label, m.timeMs])).toEqual([
      ['tag 1', 1635148300.1 * 1000],
      ['tag 2', 1635148420.55 * 1000]
    ])
    expect(report.totals).toMatchObject({ sessions: 1, streams: 6, markers: 2 })
    study.close()
  })

  it('imports a folder of sessions, folders and zips alike, and reports what each lacks', () => {
    const dir = temporaryFolder()
    const firstZip = zipOf(FIRST, dir)
    const second = fixtureCopy('e4-connect')
    zipOf(join(second, '1635160000_A00204'), dir)
    const study = newStudy()
    const report = importDataset(study, { kind: 'e4', path: dir, participant: 'S02' })
    expect(study.listSessions().map((s) => s.name)).toEqual(['E4 1635148245_A00204', 'E4 1635160000_A00204'])
    const lacking = report.participants[1].problems
    expect(lacking).toContain('ACC.csv is missing')
    expect(lacking).toContain('IBI.csv has no samples')
    expect(study.listSessions()[1].streams.map((s) => s.name)).toEqual(['bvp', 'eda'])
    study.close()
    // A zip holds the same bytes as its folder: importing the folder after the zip is the same data.
    const other = newStudy()
    importDataset(other, { kind: 'e4', path: firstZip, participant: 'S03' })
    expect(() => importDataset(other, { kind: 'e4', path: FIRST, participant: 'S03' })).toThrow(ConflictError)
    other.close()
  })

  const malformed: { name: string; file: string; content: string; message: string }[] = [
    {
      name: 'IBI time going backwards',
      file: 'IBI.csv',
      content: '1635148245.000000, IBI\n39.187500,0.718750\n38.000000,0.812500\n',
      message: 'IBI.csv:3: time goes backwards (38 s after 39.1875 s)'
    },
    {
      name: 'a K-EmoCon header where the start time belongs',
      file: 'EDA.csv',
      content: 'timestamp,value\n1635148245000,0.1\n',
      message: 'EDA.csv:1: the start time row has 2 fields, expected 1'
    },
    {
      name: 'a missing rate row',
      file: 'TEMP.csv',
      content: '1635148245.00\n',
      message: 'TEMP.csv:2: missing the sample rate row (truncated file?)'
    },
    {
      name: 'text among the samples',
      file: 'BVP.csv',
      content: '1635148245.00\n64.00\n1.5\nNaN?\n',
      message: 'BVP.csv:4: column "bvp" is not a number: "NaN?"'
    },
    {
      name: 'a truncated ACC row',
      file: 'ACC.csv',
      content: '1635148245, 1635148245, 1635148245\n32, 32, 32\n1,2,3\n4,5',
      message: 'ACC.csv:4: 2 fields, expected 3 (truncated last line?)'
    },
    {
      name: 'tags going backwards',
      file: 'tags.csv',
      content: '1635148300.10\n1635148200.00\n',
      message: 'tags.csv:2: time goes backwards'
    }
  ]
  for (const testCase of malformed) {
    it(`refuses ${testCase.name} with file and line, leaving the study unchanged`, () => {
      const copy = fixtureCopy('e4-connect')
      const session = join(copy, '1635148245_A00204')
      writeFileSync(join(session, testCase.file), testCase.content)
      const study = newStudy()
      importDataset(study, { kind: 'kemocon', path: join(FIXTURES, 'kemocon-quirks') })
      const before = dumpStudy(study)
      let thrown: unknown
      try {
        importDataset(study, { kind: 'e4', path: copy, participant: 'S09' })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(FileFormatError)
      expect((thrown as Error).message).toBe(`${session}/${testCase.message}`)
      expect(dumpStudy(study)).toBe(before)
      study.close()
    })
  }
})
