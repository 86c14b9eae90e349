import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../src-main/cli/index'
import { exportLabels } from '../../src-main/export/labels-export'
import { WINDOW_FEATURES } from '../../src-main/ipc/contract/labels'
import { windowTable } from '../../src-main/labels/window-table'
import { featureStreamsOf, SessionFeatureCache } from '../../src-main/signal/session-features'
import { windowFeatures } from '../../src-main/signal/window-features'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { tempDir } from '../e2e/harness'
import { report, SESSION_START, studyWithSession } from '../study-fixture'
import { loadFixture } from './dsp/fixtures'

interface FeatureFixture {
  rates: Record<'eda' | 'bvp' | 'temp' | 'acc', number>
  eda: number[]
  bvp: number[]
  temp: number[]
  acc: number[][]
}

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n')
  const names = header.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])))
}

/** Cells hold eight significant digits. */
function expectCell(cell: string, value: number): void {
  expect(cell).not.toBe('')
  expect(Math.abs(Number(cell) - value)).toBeLessThanOrEqual(1e-7 * Math.max(1e-3, Math.abs(value)))
}

/** A python with pandas: Debian's python3-pandas lives in /usr/bin/python3, which pyenv shims may hide. */
function pandasPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3'])
    if (spawnSync(python, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0) return python
  return null
}

/** A study with the fixture's 5-min wrist session (stored as float32, as every import stores it) and 5-s reports. */
function wristStudy(): { study: StudyStore; sessionId: number } {
  const fixture = loadFixture<FeatureFixture>('features.json')
  const { study, sessionId, annotations } = studyWithSession(300_000)
  const signals = new SignalStore(study.db)
  const put = (name: string, unit: string, rateHz: number, rows: number[][]) => {
    const channels = rows[0].length === 3 ? ['x', 'y', 'z'] : [name]
    const stream = signals.createStream(sessionId, { name, unit, rateHz, channels })
    signals.append(stream.id, {
      times: Float64Array.from(rows, (_, i) => SESSION_START + (i * 1000) / rateHz),
      samples: Float32Array.from(rows.flat()),
      channelCount: channels.length
    })
  }
  put(
    'eda',
    'µS',
    fixture.rates.eda,
    fixture.eda.map((v) => [v])
  )
  put(
    'bvp',
    '',
    fixture.rates.bvp,
    fixture.bvp.map((v) => [v])
  )
  put(
    'temp',
    '°C',
    fixture.rates.temp,
    fixture.temp.map((v) => [v])
  )
  put('acc', '1/64 g', fixture.rates.acc, fixture.acc)
  // Reports every 5 s from 5 s to 300 s, and one past the end (its window is outside the recording: nulls).
  const ends = [...Array.from({ length: 60 }, (_, i) => 5 * (i + 1)), 320]
  annotations.insertAnnotations(
    sessionId,
    ends.map((end) => report('external', end, 1 + (end % 5), 3, 'aggregate'))
  )
  return { study, sessionId }
}

describe('window features in the Labels table, the windows CSV and `emoheal features`', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  it('writes one row per label window whose cells are the features, read back by our parser and by pandas', async () => {
    const made = wristStudy()
    study = made.study
    const expected = windowFeatures(
      featureStreamsOf(study, made.sessionId),
      windowTable(study, {
        sessionId: made.sessionId,
        source: 'external',
        target: 'arousal',
        threshold: 2
      }).rows
    )
    const studyPath = study.path
    study.close()
    study = undefined
    const out = join(tempDir('emoheal-features-'), 'features.csv')
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line))
    try {
      const code = await main([
        'features',
        '--study',
        studyPath,
        '--session',
        String(made.sessionId),
        '--out',
        out,
        '--json'
      ])
      expect(code).toBe(0)
    } finally {
      log.mockRestore()
    }
    const summary = JSON.parse(printed[0]) as {
      rowCount: number
      present: Record<string, number>
      notes: string[]
    }
    expect(summary.rowCount).toBe(61)
    expect(summary.notes).toEqual([])
    const rows = parseCsv(readFileSync(out, 'utf8'))
    expect(rows).toHaveLength(61)
    expect(Object.keys(rows[0])).toEqual([
      'start_ms',
      'end_ms',
      'report_end_ms',
      'coverage',
      ...WINDOW_FEATURES.map((f) => f.column)
    ])
    rows.forEach((row, i) => {
      expect(Number(row.end_ms) - Number(row.start_ms)).toBe(5000)
      for (const f of WINDOW_FEATURES) {
        const want = expected.features[i][f.key]
        if (want === null) expect(row[f.column], `${i} ${f.column}`).toBe('')
        else expectCell(row[f.column], want)
      }
    })
    // 5-s windows of a ~66 bpm pulse: HR and RMSSD in every window inside the recording, pNN50 in none.
    const inside = rows.slice(0, 60)
    for (const row of inside) {
      expect(Number(row.hr_mean_bpm)).toBeGreaterThan(50)
      expect(Number(row.hr_mean_bpm)).toBeLessThan(90)
      expect(row.hrv_rmssd_ms).not.toBe('')
      expect(row.hrv_pnn50_percent).toBe('')
      expect(Number(row.temp_mean_c)).toBeGreaterThan(32)
    }
    expect(summary.present.hrv_pnn50_percent).toBe(0)
    expect(rows[60].coverage).toBe('0')
    expect(WINDOW_FEATURES.every((f) => rows[60][f.column] === '')).toBe(true)

    const python = pandasPython()
    if (!python) console.warn('[features csv] python3 cannot import pandas: pandas read-back skipped')
    else {
      const read = spawnSync(
        python,
        [
          '-c',
          'import sys, pandas as pd; d = pd.read_csv(sys.argv[1]); print(len(d), d["hr_mean_bpm"].notna().sum(), d["hrv_pnn50_percent"].isna().sum(), round(d["scr_count"].sum()))',
          out
        ],
        { encoding: 'utf8' }
      )
      expect(read.status, read.stderr).toBe(0)
      const scrTotal = inside.reduce((sum, row) => sum + Number(row.scr_count), 0)
      expect(read.stdout.trim()).toBe(`61 60 61 ${scrTotal}`)
    }
  })

  it('the Labels table and the windows CSV carry the same features', () => {
    const made = wristStudy()
    study = made.study
    const table = windowTable(study, {
      sessionId: made.sessionId,
      source: 'external',
      target: 'arousal',
      threshold: 2
    })
    expect(table.featureNotes).toEqual([])
    expect(table.rows.filter((r) => r.features.hrMean !== null)).toHaveLength(60)
    const exported = exportLabels(study, {
      sessionId: made.sessionId,
      format: 'windows',
      source: 'external',
      threshold: 2
    })
    const rows = parseCsv(exported.csv)
    rows.forEach((row, i) => {
      const features = table.rows[i].features
      for (const f of WINDOW_FEATURES) {
        const value = features[f.key]
        if (value === null) expect(row[f.column]).toBe('')
        else expectCell(row[f.column], value)
      }
    })
  })

  it('refuses a missing --session and an unknown session with the field named', async () => {
    const made = wristStudy()
    const studyPath = made.study.path
    made.study.close()
    const printed: string[] = []
    const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void printed.push(line))
    try {
      const out = join(tempDir('emoheal-features-'), 'x.csv')
      expect(await main(['features', '--study', studyPath, '--out', out])).toBe(1)
      expect(printed.at(-1)).toMatch(/--session is required/)
      expect(await main(['features', '--study', studyPath, '--session', '999', '--out', out])).toBe(1)
      expect(printed.at(-1)).toMatch(/999/)
    } finally {
      error.mockRestore()
    }
  })

  it('with --window-s, writes a regular grid over the recording, where 60-s windows have pNN50', async () => {
    const made = wristStudy()
    const studyPath = made.study.path
    made.study.close()
    const out = join(tempDir('emoheal-features-'), 'minutes.csv')
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line))
    const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void printed.push(line))
    try {
      const args = ['features', '--study', studyPath, '--session', String(made.sessionId), '--out', out]
      expect(await main([...args, '--window-s', '60', '--json'])).toBe(0)
      const rows = parseCsv(readFileSync(out, 'utf8'))
      // 300 s of signal: five whole minutes.
      expect(rows.map((r) => Number(r.start_ms) - SESSION_START)).toEqual([
        0, 60_000, 120_000, 180_000, 240_000
      ])
      for (const row of rows) {
        expect(row.report_end_ms).toBe('')
        expect(Number(row.hrv_pnn50_percent)).toBeGreaterThanOrEqual(0)
        expect(Number(row.scr_count)).toBeGreaterThan(0)
      }
      expect(await main([...args, '--window-s', '0.01'])).toBe(1)
      expect(printed.at(-1)).toMatch(/--window-s must be from 1 to 3600 s/)
    } finally {
      log.mockRestore()
      error.mockRestore()
    }
  })

  it('the Labels table filters a session once across calls, and again when a stream has grown', () => {
    const made = wristStudy()
    study = made.study
    const cache = new SessionFeatureCache()
    const choice = {
      sessionId: made.sessionId,
      source: 'external' as const,
      target: 'arousal' as const,
      threshold: 2
    }
    const first = cache.prepared(study, made.sessionId)
    const table = windowTable(study, choice, cache)
    expect(cache.prepared(study, made.sessionId)).toBe(first)
    // The same features as computed afresh.
    expect(table.rows.map((r) => r.features)).toEqual(windowTable(study, choice).rows.map((r) => r.features))
    const signals = new SignalStore(study.db)
    const temp = study.getSession(made.sessionId).streams.find((s) => s.name === 'temp')!
    signals.append(temp.id, {
      times: Float64Array.from({ length: 8 }, (_, i) => SESSION_START + 300_000 + i * 250),
      samples: new Float32Array(8).fill(33),
      channelCount: 1
    })
    expect(cache.prepared(study, made.sessionId)).not.toBe(first)
  })
})
