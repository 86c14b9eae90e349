import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConflictError, FileFormatError } from '../../src-main/errors'
import { importDataset } from '../../src-main/datasets/import-service'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { dumpStudy, FIXTURES, fixtureCopy, newStudy, rowCount } from './study-helpers'

const QUIRKS = join(FIXTURES, 'kemocon-quirks')

function sessionOf(study: StudyStore, code: string) {
  const session = study.listSessions().find((s) => s.participantCode === code)
  if (!session) throw new Error(`no session for ${code}`)
  return session
}

function streamData(study: StudyStore, code: string, name: string) {
  const stream = sessionOf(study, code).streams.find((s) => s.name === name)
  if (!stream) throw new Error(`no ${name} stream for ${code}`)
  return { info: stream, data: new SignalStore(study.db).read(stream.id) }
}

describe('K-EmoCon import of a copy with every real-world quirk', () => {
  it('looks through the doubled e4_data folder and imports what exists for each participant', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'kemocon', path: QUIRKS })
    expect(report.problems.some((p) => p.includes('doubled folder e4_data/e4_data'))).toBe(true)
    expect(study.listParticipants().map((p) => p.code)).toEqual(['1', '2', '3'])
    expect(
      sessionOf(study, '1')
        .streams.map((s) => s.name)
        .sort()
    ).toEqual(['acc', 'bvp', 'eda', 'hr', 'ibi', 'temp'])
    expect(
      sessionOf(study, '2')
        .streams.map((s) => s.name)
        .sort()
    ).toEqual(['acc', 'eda', 'hr', 'temp'])
    expect(sessionOf(study, '3').streams).toEqual([])
    const p2 = report.participants.find((p) => p.participant === '2')!
    expect(p2.problems).toContain('e4_data/2/E4_BVP.csv is missing')
    expect(p2.problems).toContain('e4_data/2/E4_IBI.csv is missing')
    expect(p2.problems).toContain('data_availability.csv lists E4_BVP but it was not found')
    expect(report.participants.find((p) => p.participant === '3')!.problems).toContain(
      'no e4_data/3 folder: no signals'
    )
    study.close()
  })

  it('sorts out-of-order rows, drops repeated timestamps and counts both', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'kemocon', path: QUIRKS })
    const bvp = streamData(study, '1', 'bvp')
    expect(Array.from(bvp.data.times)).toEqual([
      1546823990000, 1546823990016, 1546823990031, 1546823990047, 1546823990063
    ])
    expect(Array.from(bvp.data.samples)).toEqual([10.5, 12.25, 8, -3.5, 1.75])
    const bvpReport = report.participants[0].streams.find((s) => s.name === 'bvp')!
    expect(bvpReport).toMatchObject({ samples: 5, duplicatesRemoved: 1, outOfOrderRows: 2, nominalHz: 64 })
    expect(bvpReport.measuredHz).toBeCloseTo(4 / 0.063, 3)
    expect(bvp.info).toMatchObject({ unit: 'a.u.', rateHz: 64, channels: ['bvp'] })
    study.close()
  })

  it('reads extra columns, header spaces, seconds timestamps and "x" values', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'kemocon', path: QUIRKS })
    const acc = streamData(study, '1', 'acc')
    expect(acc.info.channels).toEqual(['x', 'y', 'z'])
    expect(Array.from(acc.data.samples)).toEqual([-12, 30, 52, -11, 31, 51, -13, 29, 53])
    const temp = streamData(study, '2', 'temp')
    expect(Array.from(temp.data.times)).toEqual([1546823992000, 1546823992250, 1546823992500])
    const eda = streamData(study, '2', 'eda')
    expect(Array.from(eda.data.samples)).toEqual([Math.fround(1.5), Math.fround(1.6)])
    const p2 = report.participants.find((p) => p.participant === '2')!
    expect(p2.problems).toContain('e4_data/2/E4_TEMP.csv: timestamps in seconds, converted to ms')
    expect(p2.problems).toContain('e4_data/2/E4_EDA.csv: 1 rows with a missing value dropped')
    const ibi = streamData(study, '1', 'ibi')
    expect(ibi.info.rateHz).toBe(0)
    expect(Array.from(ibi.data.samples)).toEqual([0.84375, 0.828125])
    study.close()
  })

  it('places annotations as 5-s spans ending at `seconds` after the debate start, with raters and emotions', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'kemocon', path: QUIRKS })
    const debateStart = 1546824000000
    const annotations = new AnnotationStore(study.db)
    const p1 = sessionOf(study, '1')
    const self = annotations.listAnnotations(p1.id, 'self')
    expect(self.map((a) => [a.startMs - debateStart, a.endMs - debateStart, a.arousal, a.valence])).toEqual([
      [0, 5000, 3, 4],
      [5000, 10000, 4, 3],
      [10000, 15000, 5, 2]
    ])
    expect(self[2].emotions).toMatchObject({ angry: 3, nervous: 3, frustration: 1, contempt: 1, none_2: 0 })
    const external = annotations.listAnnotations(p1.id, 'external')
    const byRater = (rater: string) =>
      external.filter((a) => a.rater === rater).map((a) => [a.endMs - debateStart, a.arousal])
    expect(byRater('R2')).toEqual([
      [5000, 2],
      [10000, 4]
    ])
    expect(byRater('aggregate')).toEqual([
      [5000, 2],
      [10000, 3.5]
    ])
    expect(report.participants[0].annotations).toEqual({
      self: 3,
      partner: 2,
      external: { R1: 3, R2: 2 },
      aggregate: 2
    })
    const p2self = annotations.listAnnotations(sessionOf(study, '2').id, 'self')
    expect([p2self[0].arousal, p2self[0].valence, p2self[0].emotions.happy]).toEqual([null, 3, null])
    expect(p2self[1].valence).toBeNull()
    expect(annotations.listMarkers(p1.id).map((m) => [m.label, m.timeMs])).toEqual([
      ['debate start', debateStart],
      ['debate end', debateStart + 15000]
    ])
    study.close()
  })

  it('starts each session at the first sample or initTime, whichever is earlier', () => {
    const study = newStudy()
    importDataset(study, { kind: 'kemocon', path: QUIRKS })
    expect(sessionOf(study, '1').startMs).toBe(1546823990000)
    expect(sessionOf(study, '1').durationMs).toBe(1546824015000 - 1546823990000)
    // Participant 3 has no wristband data and no initTime: the debate start.
    expect(sessionOf(study, '3').startMs).toBe(1546824000000)
    expect(sessionOf(study, '3').timezone).toBe('Asia/Seoul')
    study.close()
  })

  it('refuses the same data twice, and replaces it when asked', () => {
    const study = newStudy()
    importDataset(study, { kind: 'kemocon', path: QUIRKS })
    const before = dumpStudy(study)
    expect(() => importDataset(study, { kind: 'kemocon', path: QUIRKS })).toThrow(ConflictError)
    expect(dumpStudy(study)).toBe(before)
    const counts = ['participant', 'session', 'stream', 'chunk', 'annotation', 'marker'].map((t) =>
      rowCount(study, t)
    )
    const again = importDataset(study, { kind: 'kemocon', path: QUIRKS, replace: true })
    expect(again.replaced).toBe(true)
    expect(
      ['participant', 'session', 'stream', 'chunk', 'annotation', 'marker'].map((t) => rowCount(study, t))
    ).toEqual(counts)
    expect(rowCount(study, 'import_record')).toBe(1)
    study.close()
  })

  it('sees the same data unpacked without the doubled folder as the same import', () => {
    const copy = fixtureCopy('kemocon-quirks')
    const flat = join(copy, '..', 'flat')
    // The same files with e4_data/e4_data/* one level up.
    cpSync(join(copy, 'e4_data', 'e4_data'), join(flat, 'e4_data'), { recursive: true })
    cpSync(join(copy, 'metadata'), join(flat, 'metadata'), { recursive: true })
    cpSync(join(copy, 'emotion_annotations'), join(flat, 'emotion_annotations'), { recursive: true })
    const study = newStudy()
    importDataset(study, { kind: 'kemocon', path: copy })
    expect(() => importDataset(study, { kind: 'kemocon', path: flat })).toThrow(ConflictError)
    study.close()
  })
})

describe('K-EmoCon import of malformed files', () => {
  const cases: { name: string; file: string; breakIt: (path: string) => void; message: string }[] = [
    {
      name: 'text in a numeric column',
      file: 'e4_data/e4_data/2/E4_EDA.csv',
      breakIt: (path) => writeFileSync(path, readFileSync(path, 'utf8').replace('1.6', 'high')),
      message: 'e4_data/2/E4_EDA.csv:4: column "value" is not a number: "high"'
    },
    {
      name: 'a truncated last line',
      file: 'e4_data/e4_data/1/E4_HR.csv',
      breakIt: (path) => appendFileSync(path, '15468240020'),
      message: 'e4_data/1/E4_HR.csv:4: 1 fields, expected 3 (truncated last line?)'
    },
    {
      name: 'a wrong header',
      file: 'e4_data/e4_data/1/E4_TEMP.csv',
      breakIt: (path) =>
        writeFileSync(path, readFileSync(path, 'utf8').replace('timestamp,value', 'time,temperature')),
      message: 'e4_data/1/E4_TEMP.csv:1: no "timestamp" column (header: time, temperature, device_serial)'
    },
    {
      name: 'text in an annotation',
      file: 'emotion_annotations/self_annotations/P1.self.csv',
      breakIt: (path) => writeFileSync(path, readFileSync(path, 'utf8').replace('\n10,4,3', '\n10,four,3')),
      message: 'emotion_annotations/self_annotations/P1.self.csv:3: column "arousal" is not a number: "four"'
    },
    {
      name: 'a debate that ends before it starts',
      file: 'metadata/subjects.csv',
      breakIt: (path) =>
        writeFileSync(path, readFileSync(path, 'utf8').replace('1546824015000,2,', '1546823000000,2,')),
      message: 'metadata/subjects.csv:3: participant 2: endTime is before startTime'
    }
  ]

  for (const testCase of cases) {
    it(`names the file and line of ${testCase.name}, and leaves the study unchanged`, () => {
      const copy = fixtureCopy('kemocon-quirks')
      testCase.breakIt(join(copy, testCase.file))
      const study = newStudy()
      // A study with data in it already, so that "unchanged" means something.
      importDataset(study, { kind: 'e4', path: join(FIXTURES, 'e4-connect'), participant: 'lab-1' })
      const before = dumpStudy(study)
      let thrown: unknown
      try {
        importDataset(study, { kind: 'kemocon', path: copy })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(FileFormatError)
      expect((thrown as Error).message).toBe(testCase.message)
      expect(dumpStudy(study)).toBe(before)
      study.close()
    })
  }
})
