import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../src-main/cli/index'
import { readAnnotationFile } from '../../src-main/datasets/kemocon/annotations'
import { exportLabels, WINDOW_COLUMNS } from '../../src-main/export/labels-export'
import { correctLabel } from '../../src-main/labels/window-table'
import type { StudyStore } from '../../src-main/store/study-store'
import { tempDir } from '../e2e/harness'
import { report, SESSION_START, studyWithSession } from '../study-fixture'

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n')
  const names = header.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])))
}

describe('label export', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  function setUp() {
    const fixture = studyWithSession(60_000)
    study = fixture.study
    fixture.annotations.insertAnnotations(fixture.sessionId, [
      report('self', 5, 2, 3, '', { cheerful: 2, happy: 1, boredom: 0, none_2: 1 }),
      report('self', 10, null, 4, '', { cheerful: null, happy: 3 }),
      report('partner', 10, 5, 5),
      report('external', 5, 1, 4, 'aggregate'),
      report('external', 15, 3, 2, 'R1')
    ])
    // K-EmoCon's debate started 10 s into this session: seconds count from there.
    fixture.annotations.insertMarkers(fixture.sessionId, [
      { timeMs: SESSION_START - 5_000, label: 'debate start', source: 'kemocon' }
    ])
    return fixture
  }

  it("writes K-EmoCon's annotation layout that the K-EmoCon reader reads back, corrections applied", () => {
    const { sessionId } = setUp()
    correctLabel(study!, {
      sessionId,
      target: 'arousal',
      reportEndMs: SESSION_START + 10_000,
      value: 3,
      reason: 'missing cell filled from video',
      source: 'self'
    })
    const path = join(tempDir('emoheal-export-'), 'P01.self.csv')
    const result = exportLabels(study!, { sessionId, format: 'kemocon', source: 'self', threshold: 2, path })
    expect(result.rowCount).toBe(3)
    const text = readFileSync(path, 'utf8')
    expect(text).toBe(result.csv)
    expect(text.split('\n')[0]).toBe(
      'seconds,arousal,valence,cheerful,happy,angry,nervous,sad,boredom,confusion,delight,concentration,frustration,surprise,none_1,confrustion,contempt,dejection,disgust,eureka,pride,sorrow,none_2'
    )
    const debateStart = SESSION_START - 5_000
    const read = readAnnotationFile(
      Buffer.from(text),
      'P01.self.csv',
      { source: 'self', rater: '' },
      debateStart
    )
    expect(read.problems).toEqual([])
    expect(read.annotations.map((a) => [(a.endMs - debateStart) / 1000, a.arousal, a.valence])).toEqual([
      [10, 2, 3],
      [15, 3, 4],
      // Self did not report at second 15 of the session; the window exists because R1 did.
      [20, null, null]
    ])
    expect(read.annotations[0].emotions).toMatchObject({
      cheerful: 2,
      happy: 1,
      boredom: 0,
      none_2: 1,
      angry: null
    })
    expect(read.annotations[1].emotions).toMatchObject({ cheerful: null, happy: 3 })
    // Missing cells are written empty.
    expect(text.split('\n')[3].startsWith('20,,,')).toBe(true)
  })

  it('writes the windows table with every source, the fused label, its class and the corrected flags', () => {
    const { sessionId } = setUp()
    study!.setAlignmentOffset(sessionId, 1_000)
    correctLabel(study!, {
      sessionId,
      target: 'valence',
      reportEndMs: SESSION_START + 5_000,
      value: 1,
      reason: 'partner saw a frown',
      source: 'majority'
    })
    const rows = parseCsv(
      exportLabels(study!, { sessionId, format: 'windows', source: 'majority', threshold: 2 }).csv
    )
    expect(Object.keys(rows[0])).toEqual([...WINDOW_COLUMNS])
    expect(
      rows.map((r) => [
        Number(r.start_ms) - SESSION_START,
        Number(r.end_ms) - SESSION_START,
        Number(r.report_end_ms) - SESSION_START
      ])
    ).toEqual([
      [1_000, 6_000, 5_000],
      [6_000, 11_000, 10_000],
      [11_000, 16_000, 15_000]
    ])
    // Second 5: self 2/3, external 1/4 -> majority ties go to external: arousal 1 (class 0); valence corrected to 1.
    expect(rows[0]).toMatchObject({
      self_arousal: '2',
      external_arousal: '1',
      partner_arousal: '',
      label_arousal: '1',
      class_arousal: '0'
    })
    expect(rows[0]).toMatchObject({
      label_valence: '1',
      class_valence: '0',
      corrected_arousal: '0',
      corrected_valence: '1'
    })
    // Second 10: self -/4, partner 5/5 -> arousal 5 (only partner), valence tie self 4 first.
    expect(rows[1]).toMatchObject({
      label_arousal: '5',
      class_arousal: '1',
      label_valence: '4',
      class_valence: '1'
    })
    expect(rows[2]).toMatchObject({
      external_arousal: '3',
      label_arousal: '3',
      class_arousal: '1',
      class_valence: '0'
    })
  })

  it('runs as `emoheal labels export` and refuses a bad format with the flag named', async () => {
    const { sessionId } = setUp()
    const studyPath = study!.path
    study!.close()
    study = undefined
    const out = join(tempDir('emoheal-export-'), 'windows.csv')
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line))
    const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void printed.push(line))
    try {
      const ok = await main([
        'labels',
        'export',
        '--study',
        studyPath,
        '--session',
        String(sessionId),
        '--format',
        'windows',
        '--source',
        'external',
        '--out',
        out,
        '--json'
      ])
      expect(ok).toBe(0)
      expect(JSON.parse(printed[0])).toMatchObject({ format: 'windows', rowCount: 3, path: out })
      expect(parseCsv(readFileSync(out, 'utf8')).map((r) => r.label_arousal)).toEqual(['1', '', '3'])
      const bad = await main([
        'labels',
        'export',
        '--study',
        studyPath,
        '--session',
        String(sessionId),
        '--format',
        'xlsx',
        '--out',
        out
      ])
      expect(bad).toBe(1)
      expect(printed.at(-1)).toMatch(/^emoheal labels export: --format: /)
    } finally {
      log.mockRestore()
      error.mockRestore()
    }
  })
})
