import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../src-main/errors'
import { exportSessionEdf, type EdfExportSummary, type EdfFormat } from '../../src-main/export/edf'
import { exportSessionCsv } from '../../src-main/export/session-csv'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { cliPath } from '../e2e/harness'
import { e4Session, gappedSession, regular, sessionWith, START_MS, temporaryFolder } from './edf-fixture'
import {
  biosigJson,
  biosigMissing,
  biosigTimeMs,
  mneMissing,
  readWithBiosig,
  readWithMne
} from './edf-readers'

const FORMATS: EdfFormat[] = ['edf', 'bdf']

/** One quantisation step of a signal as the header states it. */
function stepOf(signal: EdfExportSummary['signals'][number]): number {
  return (signal.physicalMax - signal.physicalMin) / (signal.digitalMax - signal.digitalMin)
}

/** The stored values of every exported signal, by label, in time order (one per slot when no slot is empty). */
function storedValues(study: StudyStore, sessionId: number): Map<string, number[]> {
  const store = new SignalStore(study.db)
  const values = new Map<string, number[]>()
  for (const stream of study.getSession(sessionId).streams) {
    if (stream.rateHz <= 0) continue
    const data = store.read(stream.id)
    stream.channels.forEach((channel, c) => {
      const label = stream.channels.length > 1 ? `${stream.name} ${channel}` : stream.name
      values.set(
        label,
        Array.from({ length: data.times.length }, (_, i) => data.samples[i * data.channelCount + c])
      )
    })
  }
  return values
}

/** The largest |read - stored| over a signal, in quantisation steps (plus the reader's own print rounding). */
function worstError(read: number[], stored: number[], step: number, relativePrint = 0): number {
  expect(read).toHaveLength(stored.length)
  let worst = 0
  for (let i = 0; i < stored.length; i++) {
    const allowed = step + Math.abs(stored[i]) * relativePrint
    worst = Math.max(worst, Math.abs(read[i] - stored[i]) / allowed)
  }
  return worst
}

async function exported(format: EdfFormat, made = e4Session()) {
  const out = join(temporaryFolder(), `session.${format}`)
  const summary = await exportSessionEdf(made.study, made.sessionId, out, { format })
  return { ...made, out, summary }
}

const E4_LABELS = ['bvp', 'eda', 'temp', 'acc x', 'acc y', 'acc z', 'hr']
const E4_RATES = [64, 4, 4, 32, 32, 32, 1]
const E4_UNITS = ['a.u.', 'uS', 'degC', 'g', 'g', 'g', 'bpm']
/** Markers, the self report, and the IBI events, as onsets from the file start (START_MS) in seconds. */
const E4_ANNOTATIONS = [
  { onset: 1.5, duration: 0, description: 'ibi=0.8 s' },
  { onset: 2.3, duration: 0, description: 'ibi=0.925 s' },
  { onset: 3.125, duration: 0, description: 'ibi=1.05 s' },
  { onset: 10.5, duration: 0, description: 'stimulus onset' },
  { onset: 15, duration: 5, description: 'self arousal=3 valence=4' },
  { onset: 30, duration: 0, description: 'baseline end' }
]

describe('exportSessionEdf: layout', () => {
  it.each(FORMATS)(
    'writes %s+ continuous with 1-s records, one signal per channel and the EDF+ header fields',
    async (format) => {
      const { out, summary } = await exported(format)
      expect(summary).toMatchObject({
        fileType: `${format.toUpperCase()}+C`,
        recordDurationS: 1,
        records: 60,
        omittedRecords: 0,
        startMs: START_MS
      })
      expect(summary.signals.map((signal) => signal.label)).toEqual(E4_LABELS)
      expect(summary.signals.map((signal) => signal.samplesPerRecord)).toEqual(E4_RATES)
      expect(summary.annotations).toEqual({ markers: 2, annotations: 1, gaps: 0, events: 3 })
      const file = readFileSync(out)
      const text = file.toString('latin1')
      if (format === 'bdf') expect([...file.subarray(0, 8)]).toEqual([0xff, ...Buffer.from('BIOSEMI')])
      else expect(text.slice(0, 8)).toBe('0       ')
      expect(text.slice(8, 88).trimEnd()).toBe('P_07 X X X')
      expect(text.slice(88, 168)).toMatch(
        /^Startdate 04-MAR-2026 session-\d+ X EmoHeal_Workstation Debate\s+$/
      )
      expect(text.slice(168, 184)).toBe('04.03.2600.30.00')
      expect(text.slice(192, 236).trimEnd()).toBe(`${format.toUpperCase()}+C`)
      expect(Number(text.slice(184, 192))).toBe(256 * 9)
      // The constant temperature still has a range a reader can divide by.
      const temp = summary.signals.find((signal) => signal.label === 'temp')!
      expect(temp.physicalMax).toBeGreaterThan(temp.physicalMin)
      expect(temp.physicalMin).toBeLessThan(33.5)
      expect(temp.physicalMax).toBeGreaterThan(33.5)
      const records = Number(text.slice(236, 244))
      const perRecord = summary.signals.reduce((sum, signal) => sum + signal.samplesPerRecord, 0)
      const annotationSamples = Number(text.slice(256 + 8 * 216 + 7 * 8, 256 + 8 * 216 + 8 * 8))
      expect(file.length).toBe(
        256 * 9 + records * (perRecord + annotationSamples) * (format === 'bdf' ? 3 : 2)
      )
    }
  )

  it('keeps a sample a few ms early in the first record rather than starting a nearly empty one', async () => {
    const { summary } = await exported('edf')
    expect(summary.startMs).toBe(START_MS)
    expect(summary.signals[0].maxShiftMs).toBeCloseTo(2, 6)
  })
})

describe.skipIf(mneMissing !== null)('exportSessionEdf read back by MNE-Python', () => {
  it.each(FORMATS)(
    '%s: labels, rates, units, start, values within a quantisation step, annotations',
    async (format) => {
      const { study, sessionId, out, summary } = await exported(format)
      const read = readWithMne(out)
      expect(Object.keys(read.channels)).toEqual(E4_LABELS)
      expect(Object.values(read.channels).map((channel) => channel.sfreq)).toEqual(E4_RATES)
      expect(Object.values(read.channels).map((channel) => channel.unit)).toEqual(E4_UNITS)
      expect(read.measDate).toBe('2026-03-04T00:30:00+00:00')
      const stored = storedValues(study, sessionId)
      for (const signal of summary.signals)
        expect(
          worstError(read.channels[signal.label].data, stored.get(signal.label)!, stepOf(signal)),
          signal.label
        ).toBeLessThanOrEqual(1)
      expect(read.annotations).toHaveLength(E4_ANNOTATIONS.length)
      read.annotations.forEach((annotation, i) => {
        expect(annotation.description).toBe(E4_ANNOTATIONS[i].description)
        // Within one sample of the fastest signal.
        expect(Math.abs(annotation.onset - E4_ANNOTATIONS[i].onset)).toBeLessThanOrEqual(1 / 64)
        expect(annotation.duration).toBeCloseTo(E4_ANNOTATIONS[i].duration, 3)
      })
    }
  )

  it('carries the same samples as the CSV export of the session', async () => {
    const { study, sessionId, out, summary } = await exported('edf')
    const csv = join(temporaryFolder(), 'csv')
    await exportSessionCsv(study, sessionId, csv)
    const read = readWithMne(out)
    for (const file of readdirSync(csv).filter((name) => /^(bvp|eda|temp|acc|hr)\.csv$/.test(name))) {
      const [head, ...rows] = readFileSync(join(csv, file), 'utf8').trim().split('\n')
      const columns = head.split(',').slice(1)
      const stream = file.replace('.csv', '')
      columns.forEach((column, c) => {
        const label = columns.length > 1 ? `${stream} ${column}` : stream
        const signal = summary.signals.find((candidate) => candidate.label === label)!
        const values = rows.map((row) => Number(row.split(',')[c + 1]))
        expect(worstError(read.channels[label].data, values, stepOf(signal)), label).toBeLessThanOrEqual(1)
      })
    }
  })

  it('EDF+D: MNE reads the written records only, and the gap as an annotation', async () => {
    const { out, summary } = await exported('edf', gappedSession())
    expect(summary).toMatchObject({
      fileType: 'EDF+D',
      recordDurationS: 0.25,
      records: 140,
      omittedRecords: 60
    })
    const read = readWithMne(out)
    expect(read.channels.bvp.data).toHaveLength(64 * 35)
    expect(read.channels.eda.data).toHaveLength(4 * 35)
    expect(
      read.annotations.map((annotation) => [annotation.onset, annotation.duration, annotation.description])
    ).toEqual([
      [20, 15, 'gap bvp: disconnected, 960 samples missing'],
      [20, 15, 'gap eda: disconnected, 60 samples missing']
    ])
  })
})

describe.skipIf(biosigMissing !== null)('exportSessionEdf read back by biosig (save2gdf)', () => {
  it.each(FORMATS)(
    '%s: labels, rates, values within a quantisation step, identification, events',
    async (format) => {
      const { study, sessionId, out, summary } = await exported(format)
      const read = readWithBiosig(out)
      expect(read.channels.map((channel) => channel.label)).toEqual(E4_LABELS)
      expect(read.channels.map((channel) => channel.rateHz)).toEqual(E4_RATES)
      // biosig knows the units of its own table only (uS, g, bpm); the others it prints as "?".
      expect(read.channels.map((channel) => channel.unit)).toEqual(
        E4_UNITS.map((unit) => (['uS', 'g', 'bpm'].includes(unit) ? unit : '?'))
      )
      // biosig splits the EDF+ subfields out of an EDF file's identification, and gives a BDF file's whole.
      expect(read.header['Patient.Id']).toMatch(/^P_07( X X X)?$/)
      expect(read.header['Recording.ID']).toMatch(new RegExp(`(^| )session-${sessionId}($| )`))
      expect(Math.abs(biosigTimeMs(read.header['Recording.Time']) - START_MS)).toBeLessThan(0.1)
      const stored = storedValues(study, sessionId)
      for (const signal of summary.signals)
        // biosig prints 6 significant digits, which for BDF is coarser than a step.
        expect(
          worstError(
            read.channels.find((channel) => channel.label === signal.label)!.values,
            stored.get(signal.label)!,
            stepOf(signal),
            5e-6
          ),
          signal.label
        ).toBeLessThanOrEqual(1)
      expect(read.events.map((event) => event.description)).toEqual(
        E4_ANNOTATIONS.map((annotation) => annotation.description)
      )
      read.events.forEach((event, i) => {
        expect(Math.abs(event.positionS - E4_ANNOTATIONS[i].onset)).toBeLessThanOrEqual(1 / 64)
        expect(event.durationS).toBeCloseTo(E4_ANNOTATIONS[i].duration, 3)
      })
    }
  )

  it.each(FORMATS)(
    '%s+D: each written record starts at its own time, the 15 s without samples are left out',
    async (format) => {
      const { study, sessionId, out, summary } = await exported(format, gappedSession())
      const segments = biosigJson(out).EVENT.filter((event) => event.TYP === '0x7ffe')
      const expected = [...regular(4, 80), ...regular(4, 60, 35_000)]
      expect(segments).toHaveLength(expected.length)
      segments.forEach((segment, i) => {
        const recordMs = biosigTimeMs(segment.TimeStamp) - START_MS
        expect(Math.abs(recordMs - expected[i]), `record ${i}`).toBeLessThan(0.1)
        // Its position in the concatenated data: one record (0.25 s) after the one before.
        expect(segment.POS).toBeCloseTo(i * 0.25, 6)
      })
      const read = readWithBiosig(out)
      expect(read.channels.map((channel) => channel.samples)).toEqual([64 * 35, 4 * 35])
      const stored = storedValues(study, sessionId)
      summary.signals.forEach((signal, c) =>
        expect(
          worstError(read.channels[c].values, stored.get(signal.label)!, stepOf(signal), 5e-6)
        ).toBeLessThanOrEqual(1)
      )
      expect(read.events.filter((event) => event.description.startsWith('gap '))).toHaveLength(2)
    }
  )
})

describe('exportSessionEdf refuses what EDF cannot hold', () => {
  async function refusal(made: {
    study: StudyStore
    sessionId: number
  }): Promise<{ error: ValidationError; out: string }> {
    const out = join(temporaryFolder(), 'refused.edf')
    const error = await exportSessionEdf(made.study, made.sessionId, out, { format: 'edf' }).then(
      () => null,
      (caught: unknown) => caught
    )
    expect(error).toBeInstanceOf(ValidationError)
    // Nothing is left behind: no file and no temporary.
    expect(readdirSync(join(out, '..'))).toEqual([])
    return { error: error as ValidationError, out }
  }

  it('a session without streams', async () => {
    const { error } = await refusal(sessionWith([]))
    expect(error.message).toMatch(/session \d+ has no streams/)
    expect(error.field).toBe('sessionId')
  })

  it('a NaN sample, naming stream, channel and time', async () => {
    const { error } = await refusal(
      sessionWith([
        {
          name: 'acc',
          unit: 'g',
          rateHz: 32,
          channels: ['x', 'y', 'z'],
          offsetsMs: regular(32, 64),
          value: (i, c) => (i === 40 && c === 1 ? NaN : i)
        }
      ])
    )
    expect(error.message).toBe(
      `stream acc channel y: the sample at ${new Date(START_MS + 1250).toISOString()} is NaN; EDF cannot hold it`
    )
    expect(error.field).toBe('samples')
  })

  it('a rate no record of at most 60 s fits (100.21 Hz needs 100 s records)', async () => {
    const { error } = await refusal(
      sessionWith([
        {
          name: 'ecg',
          unit: 'mV',
          rateHz: 100.21,
          channels: ['ecg'],
          offsetsMs: regular(100.21, 500),
          value: () => 1
        }
      ])
    )
    expect(error.message).toMatch(
      /ecg 100\.21 Hz need data records of 100 s or more; EDF export allows at most 60 s/
    )
    expect(error.field).toBe('rateHz')
  })

  it('a rate that is not a small fraction (a measured rate such as 100.2079... Hz)', async () => {
    const rate = 32768 / 327.0001
    const { error } = await refusal(
      sessionWith([
        {
          name: 'gsr',
          unit: 'kOhm',
          rateHz: rate,
          channels: ['gsr'],
          offsetsMs: regular(rate, 50),
          value: () => 1
        }
      ])
    )
    expect(error.message).toMatch(/^stream gsr: rate 100\.2\d+ Hz is not a fraction/)
  })

  it('a label longer than the 16 characters EDF allows', async () => {
    const { error } = await refusal(
      sessionWith([
        {
          name: 'accelerometer',
          unit: 'g',
          rateHz: 4,
          channels: ['x axis', 'y axis'],
          offsetsMs: regular(4, 8),
          value: () => 1
        }
      ])
    )
    expect(error.message).toMatch(/signal label "accelerometer x axis" .* at most 16 ASCII characters/)
    expect(error.field).toBe('label')
  })

  it('two samples in one slot of the grid', async () => {
    const { error } = await refusal(
      sessionWith([
        {
          name: 'eda',
          unit: 'uS',
          rateHz: 4,
          channels: ['eda'],
          offsetsMs: [0, 250, 300, 750],
          value: () => 1
        }
      ])
    )
    expect(error.message).toMatch(
      /stream eda: samples at .*00:30:00\.250Z and .*00:30:00\.300Z fall into the same slot/
    )
    expect(error.field).toBe('times')
  })
})

const cliSkip = existsSync(cliPath) ? null : `${cliPath} is missing: run "npx electron-vite build" first`
if (cliSkip) console.warn(`skipping export edf CLI test: ${cliSkip}`)

describe.skipIf(cliSkip !== null)('emoheal export edf / bdf', () => {
  it('writes the file and prints the summary; a session without streams exits 1 with the reason', () => {
    const made = e4Session()
    made.study.close()
    for (const format of FORMATS) {
      const out = join(temporaryFolder(), `cli.${format}`)
      const summary = JSON.parse(
        execFileSync(
          process.execPath,
          [
            cliPath,
            'export',
            format,
            '--study',
            made.path,
            '--session',
            String(made.sessionId),
            '--out',
            out,
            '--json'
          ],
          {
            encoding: 'utf8'
          }
        )
      ) as EdfExportSummary
      expect(summary).toMatchObject({ format, fileType: `${format.toUpperCase()}+C`, records: 60 })
      expect(readFileSync(out).subarray(192, 197).toString('latin1')).toBe(`${format.toUpperCase()}+C`)
      const text = execFileSync(
        process.execPath,
        [cliPath, 'export', format, '--study', made.path, '--session', String(made.sessionId), '--out', out],
        {
          encoding: 'utf8'
        }
      )
      expect(text).toMatch(
        new RegExp(
          `^Exported session ${made.sessionId} to .*cli\\.${format} \\(${format.toUpperCase()}\\+C, 60 records of 1 s\\)`
        )
      )
      expect(text).toContain('  acc x: 1920 samples at 32 Hz (g, ')
      expect(text).toContain('  annotations: 2 markers, 1 annotations, 0 gaps, 3 events')
    }
    const empty = sessionWith([])
    empty.study.close()
    const run = spawnSync(
      process.execPath,
      [
        cliPath,
        'export',
        'edf',
        '--study',
        empty.path,
        '--session',
        String(empty.sessionId),
        '--out',
        join(temporaryFolder(), 'x.edf')
      ],
      {
        encoding: 'utf8'
      }
    )
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/^emoheal export edf: session \d+ has no streams to export/)
  })
})
