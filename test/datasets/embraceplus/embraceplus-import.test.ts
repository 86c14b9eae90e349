import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { ConflictError, FileFormatError, NotFoundError } from '../../../src-main/errors'
import { readEmbraceFile } from '../../../src-main/datasets/embraceplus/embrace-file'
import { readContainerHeader } from '../../../src-main/datasets/embraceplus/avro-container'
import { sessionType } from '../../../src-main/datasets/embraceplus/schema'
import { importDataset } from '../../../src-main/datasets/import-service'
import { AnnotationStore } from '../../../src-main/store/annotation-store'
import { RecordingStore } from '../../../src-main/store/recording-store'
import { SignalStore } from '../../../src-main/store/signal-store'
import type { StudyStore } from '../../../src-main/store/study-store'
import { dumpStudy, FIXTURES, newStudy, rowCount, temporaryFolder } from '../study-helpers'

/** Written by test/fixtures/embraceplus/make_fixtures.py (fastavro); expected.json is that script's account of them. */
const DIR = join(FIXTURES, 'embraceplus')
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  versions: Record<
    string,
    {
      participant: string
      version: string
      accCountsZ0: number
      accScale: number
      accStartUs: number
      edaStartUs: number
      tempStartUs: number
      counts: Record<string, number>
      peaksNs: string[]
      ibiS: number[]
    }
  >
  bucket: {
    participant: string
    device: string
    files: string[]
    accCounts: number[]
    accStartsUs: number[]
    accRates: number[]
    overlapUs: number
    pauseS: number
    peaks: { firstSession: number; secondSession: number; all: number }
    firstPeakNs: string
    tagsUs: number[]
  }
  biomarkers: { rows: number; missing: number; firstMs: number; reasons: string[] }
  glitch: { eda: number; outOfRange: number; notNumbers: number }
}
const ROOT = join(DIR, 'bucket', '1', '1', 'participant_data')
const DAY = join(ROOT, '2025-07-14')
const P01 = join(DAY, 'P01-3YK0000001')

function streamOf(study: StudyStore, sessionIndex: number, name: string) {
  const session = study.listSessions()[sessionIndex]
  const info = session.streams.find((stream) => stream.name === name)
  if (!info) throw new Error(`no ${name} in ${session.streams.map((s) => s.name).join(', ')}`)
  return { info, data: new SignalStore(study.db).read(info.id) }
}

describe('EmbracePlus files, one per schema version', () => {
  for (const [name, facts] of Object.entries(expected.versions)) {
    it(`${name} (${facts.version}): samples timed from each sensor's own start, ACC in g by its version's rule`, () => {
      const path = join(DIR, 'versions', name)
      const file = readEmbraceFile(readFileSync(path), path)
      expect(file.participant).toBe(facts.participant)
      const counts = Object.fromEntries(file.sensors.map((s) => [s.kind.name, s.count]))
      for (const [kind, count] of Object.entries(facts.counts)) {
        if (count === 0) expect(file.empty).toContain(kind)
        else expect(counts[kind]).toBe(count)
      }
      const acc = file.sensors.find((s) => s.kind.name === 'acc')!
      expect(acc.startMs).toBe(facts.accStartUs / 1000)
      expect(file.sensors.find((s) => s.kind.name === 'eda')!.startMs).toBe(facts.edaStartUs / 1000)
      expect(file.sensors.find((s) => s.kind.name === 'temp')!.startMs).toBe(facts.tempStartUs / 1000)
      // float32 of the factor: 6.5's conversionFactor is itself a float in the file.
      expect(acc.samples[2]).toBe(Math.fround(facts.accCountsZ0 * Math.fround(facts.accScale)))
      expect(Array.from(file.peaksNs, String)).toEqual(facts.peaksNs)
    })
  }

  it('needs the parse hook: avsc alone refuses 6.3 (record default {}) and every file with ns peaks', () => {
    const v63 = readContainerHeader(readFileSync(join(DIR, 'versions/v63.avro')), 'v63')
    expect(() => avro.Type.forSchema(v63.schema as avro.Schema)).toThrow(/default/)
    const v65 = readContainerHeader(readFileSync(join(DIR, 'versions/v65.avro')), 'v65')
    const plain = avro.Type.forSchema(v65.schema as avro.Schema)
    expect(BigInt(expected.versions['v65.avro'].peaksNs[0]) > 2n ** 53n).toBe(true)
    const records: unknown[] = []
    const decoder = avro.createFileDecoder(join(DIR, 'versions/v65.avro'))
    void plain
    return new Promise<void>((done) => {
      decoder.on('data', (record) => records.push(record))
      decoder.on('error', (error: Error) => {
        expect(error.message).toMatch(/precision loss/)
        expect(records).toHaveLength(0)
        done()
      })
    })
  })

  it('stores 6.5 magnetometer, ambient light and gyroscope, and inter-beat intervals exact to the ns', () => {
    const study = newStudy()
    importDataset(study, { kind: 'embraceplus', path: join(DIR, 'versions/v65.avro'), participant: 'V65' })
    const mag = streamOf(study, 0, 'magnetometer')
    expect(mag.info.channels).toEqual(['x', 'y', 'z', 'quality'])
    expect(Array.from(mag.data.samples.subarray(0, 4))).toEqual([12.5, -3.25, 40, 3])
    expect(mag.info.unit).toBe('uT')
    expect(streamOf(study, 0, 'light').data.samples[0]).toBe(120)
    const gyro = streamOf(study, 0, 'gyro')
    expect(gyro.data.samples[0]).toBe(Math.fround(10 * Math.fround(0.07)))
    const ibi = streamOf(study, 0, 'ibi')
    expect(Array.from(ibi.data.samples)).toEqual(expected.versions['v65.avro'].ibiS.map(Math.fround))
    const peaks = streamOf(study, 0, 'systolic_peaks')
    const first = BigInt(expected.versions['v65.avro'].peaksNs[0])
    // The whole µs survive (a double of epoch ms keeps no more); the ns below them are rounded away.
    expect(Math.floor(peaks.data.times[0] * 1000)).toBe(Number(first / 1000n))
    expect(study.listSessions()[0].timezone).toBe('Etc/GMT+5')
    study.close()
  })

  it('reads the null codec', () => {
    const path = join(DIR, 'versions/null-codec.avro')
    expect(readContainerHeader(readFileSync(path), path).codec).toBe('null')
    expect(readEmbraceFile(readFileSync(path), path).sensors.length).toBeGreaterThan(0)
  })
})

describe('samples a sensor cannot produce', () => {
  it('leaves a few glitches out as gaps, keeping the other samples at their times, and says so', () => {
    const study = newStudy()
    const report = importDataset(study, {
      kind: 'embraceplus',
      path: join(DIR, 'glitch'),
      participant: 'GLI'
    })
    const eda = streamOf(study, 0, 'eda')
    const g = expected.glitch
    expect(eda.data.times.length).toBe(g.eda - g.outOfRange - g.notNumbers)
    expect(Array.from(eda.data.samples).every((v) => v >= 0 && v <= 100)).toBe(true)
    // The sample after the two glitches sits where its index puts it.
    const period = 1000 / Math.fround(4.0004)
    expect(eda.data.times[5] - eda.data.times[4]).toBeCloseTo(3 * period, 3)
    expect(report.participants[0].problems).toContain(
      'eda: 3 samples that are not numbers or not possible left out as gaps, 2 of them outside 0..100 uS'
    )
    study.close()
  })
})

describe('a bucket day of files', () => {
  it('joins files into sessions: overlap de-duplicated, a pause starts a new session, fs 0 falls back', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'embraceplus', path: ROOT, participant: 'P01' })
    expect(report.participantsFound).toEqual(['P01', 'P02'])
    const sessions = study.listSessions()
    expect(sessions).toHaveLength(2)
    expect(sessions.every((s) => s.participantCode === 'P01' && s.source === 'embraceplus')).toBe(true)
    expect(sessions[0].timezone).toBe('Etc/GMT-1')
    const acc = streamOf(study, 0, 'acc')
    const b = expected.bucket
    const dropped = report.participants[0].files!.overlapSamplesDropped
    expect(dropped).toBeGreaterThan(0)
    const accDropped = report.participants[0].streams.find((s) => s.name === 'acc')!.duplicatesRemoved
    // ~0.12 s of the second file repeats the first at 64 Hz: a few samples, no more.
    expect(accDropped).toBeGreaterThanOrEqual(7)
    expect(accDropped).toBeLessThanOrEqual(9)
    expect(acc.data.times.length).toBe(b.accCounts[0] + b.accCounts[1] - accDropped)
    expect(acc.data.times[0]).toBe(b.accStartsUs[0] / 1000)
    // Each file's samples are timed at its own estimate from its own start.
    // (The file writes its rate as a float32.)
    const rates = b.accRates.map(Math.fround)
    expect(acc.data.times[b.accCounts[0] - 1]).toBeCloseTo(
      b.accStartsUs[0] / 1000 + ((b.accCounts[0] - 1) * 1000) / rates[0],
      6
    )
    expect(acc.data.times[b.accCounts[0]]).toBeCloseTo(
      b.accStartsUs[1] / 1000 + (accDropped * 1000) / rates[1],
      6
    )
    expect(acc.info.rateHz).toBe(64)
    expect(report.participants[0].files!.largestOverlapS).toBeGreaterThan(0.1)
    // The second session: the third file and the short fs-0 file after it, timed at the third's rate.
    const second = streamOf(study, 1, 'acc')
    expect(second.data.times.length).toBe(b.accCounts[2] + b.accCounts[3])
    expect(second.data.times[b.accCounts[2] + 1] - second.data.times[b.accCounts[2]]).toBeCloseTo(
      1000 / Math.fround(b.accRates[2]),
      3
    )
    expect(report.participants[1].problems.join('\n')).toMatch(
      /1-1-P01_1752476812\.avro: accelerometer has 192 samples at samplingFrequency 0; timed at 64\.0023 Hz/
    )
    // Empty gyroscope skipped and said.
    expect(sessions[0].streams.map((s) => s.name)).not.toContain('gyro')
    expect(report.participants[0].files!.emptyStreams).toContainEqual({ name: 'gyro', files: 2 })
    // Peaks merged over the files and sorted, including those before the first file's BVP.
    const peaks = streamOf(study, 0, 'systolic_peaks')
    expect(peaks.data.times.length).toBe(b.peaks.firstSession)
    expect(peaks.data.times[0]).toBe(Number(BigInt(b.firstPeakNs) / 1000n) / 1000)
    expect(peaks.data.times[0]).toBeLessThan(streamOf(study, 0, 'bvp').data.times[0])
    expect(streamOf(study, 1, 'systolic_peaks').data.times.length).toBe(b.peaks.secondSession)
    const markers = new AnnotationStore(study.db).listMarkers(sessions[0].id)
    expect(markers.map((m) => m.timeMs)).toEqual(b.tagsUs.slice(0, 2).map((us) => us / 1000))
    expect(new AnnotationStore(study.db).listMarkers(sessions[1].id).map((m) => m.timeMs)).toEqual([
      b.tagsUs[2] / 1000
    ])
    // Nominal rate stored, the measured one beside it.
    const measured = study.db
      .prepare('SELECT measured_rate_hz FROM stream WHERE id = ?')
      .get(acc.info.id) as {
      measured_rate_hz: number
    }
    expect(measured.measured_rate_hz).toBeGreaterThan(63.99)
    expect(measured.measured_rate_hz).toBeLessThan(64.003)
    study.close()
  })

  it('with --one-session keeps one session and stores the pause as a gap of each stream', () => {
    const study = newStudy()
    const report = importDataset(study, {
      kind: 'embraceplus',
      path: P01,
      participant: 'P01',
      oneSession: true
    })
    const sessions = study.listSessions()
    expect(sessions).toHaveLength(1)
    const gaps = new RecordingStore(study.db).gaps(sessions[0].id)
    const accGaps = gaps.filter((gap) => gap.stream === 'acc')
    expect(accGaps).toHaveLength(1)
    expect((accGaps[0].endMs - accGaps[0].startMs) / 1000).toBeCloseTo(expected.bucket.pauseS, 0)
    expect(accGaps[0].missing).toBeCloseTo(expected.bucket.pauseS * 64, -2)
    expect(accGaps[0].cause).toBe('timestamp')
    expect(new Set(gaps.map((gap) => gap.stream))).toEqual(new Set(['acc', 'bvp', 'eda', 'temp', 'steps']))
    expect(report.participants[0].files!.gaps).toHaveLength(1)
    expect(streamOf(study, 0, 'systolic_peaks').data.times.length).toBe(expected.bucket.peaks.all)
    study.close()
  })

  it('puts the per-minute biomarkers beside the raw streams at 1/60 Hz, with the missing reasons kept', () => {
    const study = newStudy()
    const report = importDataset(study, {
      kind: 'embraceplus',
      path: DAY,
      participant: 'P01',
      oneSession: true
    })
    const pulse = streamOf(study, 0, 'bm_pulse_rate')
    const bio = expected.biomarkers
    expect(pulse.info.rateHz).toBeCloseTo(1 / 60, 12)
    expect(pulse.info.unit).toBe('bpm')
    expect(pulse.data.times.length).toBe(bio.rows - bio.missing)
    expect(pulse.data.times[0]).toBe(bio.firstMs)
    const missing = streamOf(study, 0, 'bm_pulse_rate_missing')
    expect(missing.data.times.length).toBe(bio.missing)
    expect(missing.info.unit).toBe(bio.reasons.map((reason, code) => `${code}=${reason}`).join(','))
    const activity = streamOf(study, 0, 'bm_activity_classification')
    expect(activity.info.unit).toBe('0=generic,1=still,2=walking')
    expect(Array.from(activity.data.samples.subarray(0, 3))).toEqual([1, 2, 0])
    expect(report.problems.join('\n')).toMatch(
      /pulse-rate \(3YK0000001\): minutes without a value, by missing_value_reason: device_not_recording 2, not_enough_data 1/
    )
    study.close()
  })

  it('splits the per-minute rows between two sessions by which is nearer, losing none', () => {
    const study = newStudy()
    importDataset(study, { kind: 'embraceplus', path: DAY, participant: 'P01' })
    const first = streamOf(study, 0, 'bm_pulse_rate').data.times
    const second = streamOf(study, 1, 'bm_pulse_rate').data.times
    expect(first.length + second.length).toBe(expected.biomarkers.rows - expected.biomarkers.missing)
    const firstEnd = streamOf(study, 0, 'acc').data.times.at(-1)!
    const secondStart = streamOf(study, 1, 'acc').data.times[0]
    const middle = (firstEnd + secondStart) / 2
    expect(Array.from(first).every((t) => t <= middle)).toBe(true)
    expect(Array.from(second).every((t) => t > middle)).toBe(true)
    expect(second.length).toBeGreaterThan(0)
    study.close()
  })

  it("keeps another device's biomarkers apart: a device without raw data gets a session of its own", () => {
    const day = join(temporaryFolder(), '2025-07-14')
    cpSync(DAY, day, { recursive: true })
    cpSync(join(P01, 'digital_biomarkers'), join(day, 'P01-3YK0000009', 'digital_biomarkers'), {
      recursive: true
    })
    const study = newStudy()
    importDataset(study, { kind: 'embraceplus', path: day, participant: 'P01', oneSession: true })
    const sessions = study.listSessions()
    expect(sessions.map((s) => s.name)).toEqual([
      expect.stringMatching(/^EmbracePlus 3YK0000001 /),
      'EmbracePlus biomarkers P01 3YK0000009'
    ])
    const rows = expected.biomarkers.rows - expected.biomarkers.missing
    expect(streamOf(study, 0, 'bm_pulse_rate').data.times.length).toBe(rows)
    expect(streamOf(study, 1, 'bm_pulse_rate').data.times.length).toBe(rows)
    expect(sessions[1].streams.some((s) => s.name === 'acc')).toBe(false)
    study.close()
  })

  it('refuses a second import of the same files unless replacing, and picks files by date', () => {
    const study = newStudy()
    importDataset(study, { kind: 'embraceplus', path: ROOT, participant: 'P01' })
    // The same files copied into another folder are the same data.
    const copy = join(temporaryFolder(), 'copy')
    cpSync(P01, copy, { recursive: true })
    expect(() => importDataset(study, { kind: 'embraceplus', path: copy, participant: 'P01' })).toThrow(
      ConflictError
    )
    const replaced = importDataset(study, {
      kind: 'embraceplus',
      path: copy,
      participant: 'P01',
      replace: true
    })
    expect(replaced.replaced).toBe(true)
    expect(study.listSessions()).toHaveLength(2)
    expect(() =>
      importDataset(study, { kind: 'embraceplus', path: ROOT, participant: 'P01', from: '2025-07-15' })
    ).toThrow(
      /no EmbracePlus data of participant "P01" between 2025-07-15 and the end \(participants found: P01, P02\)|no EmbracePlus data of participant "P01" between 2025-07-15/
    )
    expect(() => importDataset(study, { kind: 'embraceplus', path: ROOT, participant: 'P09' })).toThrow(
      NotFoundError
    )
    study.close()
  })
})

describe('malformed EmbracePlus files', () => {
  const cases: [string, RegExp][] = [
    ['truncated.avro', /truncated\.avro: truncated in block 1/],
    ['wrong-magic.avro', /wrong-magic\.avro: not an Avro container file \(starts with "Obj\\x02"/],
    ['no-rawdata.avro', /no-rawdata\.avro: the embedded schema has no rawData field/],
    ['unknown-codec.avro', /unknown-codec\.avro: unknown Avro codec "bzip2"/],
    [
      'peaks-backwards.avro',
      /peaks-backwards\.avro: rawData\.systolicPeaks\.peaksTimeNanos runs backwards at index 3/
    ],
    [
      'overlapping',
      /overlapping\/1-1-BAD_1752475312\.avro: rawData\.\w+ starts 59\.\d+ s before the previous file's samples end: time runs backwards/
    ]
  ]
  for (const [name, message] of cases) {
    it(`${name}: one line naming the file, and the study unchanged`, () => {
      const study = newStudy()
      importDataset(study, { kind: 'embraceplus', path: join(DIR, 'versions/v64.avro'), participant: 'V64' })
      const before = dumpStudy(study)
      let error: unknown
      try {
        importDataset(study, { kind: 'embraceplus', path: join(DIR, 'malformed', name), participant: 'BAD' })
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(FileFormatError)
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).not.toContain('\n')
      expect(dumpStudy(study)).toBe(before)
      expect(rowCount(study, 'session')).toBe(1)
      study.close()
    })
  }
})

describe('a damaged array count', () => {
  it('is refused before anything is allocated for it', () => {
    const schema = {
      type: 'record',
      name: 'Session',
      namespace: 'empatica.format.avro',
      fields: [
        {
          name: 'rawData',
          type: {
            type: 'record',
            name: 'Raw',
            fields: [{ name: 'values', type: { type: 'array', items: 'float' } }]
          }
        }
      ]
    }
    const type = sessionType(schema, 'damaged.avro')
    // A block count of 100 million floats followed by 8 bytes: what one flipped bit in a count can say.
    const count = avro.Type.forSchema('long').toBuffer(100_000_000)
    const bytes = Buffer.concat([count, Buffer.alloc(8)])
    expect(() => type.decode(bytes)).toThrow(/an array block of 100000000 items in the 8 bytes left/)
    // An honest array still reads.
    const good = Buffer.concat([avro.Type.forSchema('long').toBuffer(2), Buffer.alloc(8), Buffer.from([0])])
    expect(type.decode(good).value).toEqual({ rawData: { values: [0, 0] } })
  })
})
