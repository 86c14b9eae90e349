import Database from 'better-sqlite3'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { windowTable } from '../../src-main/labels/window-table'
import { AnnotationStore, type NewAnnotation } from '../../src-main/store/annotation-store'
import { StudyStore } from '../../src-main/store/study-store'
import {
  browserUnavailableReason,
  openBrowser,
  screenshot,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess,
  runCli,
  writeSyntheticKemocon
} from './harness'
import { revisionRowsIn, type RevisionRow } from '../study-fixture'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e labels] skipped: ${reason}`)

const START = Date.UTC(2026, 2, 4, 0, 30, 0)
const WINDOWS = 24

/** Ratings that vary and disagree a little, so every column and the agreement panel have something to show. */
function reportsOf(sessionSeed: number): NewAnnotation[] {
  const rating = (i: number, shift: number) => 1 + ((i * 7 + shift + sessionSeed) % 5)
  return Array.from({ length: WINDOWS }, (_, i) => {
    const endMs = START + (i + 1) * 5000
    const base = { startMs: endMs - 5000, endMs, emotions: {} }
    return [
      {
        ...base,
        source: 'self' as const,
        rater: '',
        arousal: i === 3 ? null : rating(i, 0),
        valence: rating(i, 2)
      },
      { ...base, source: 'partner' as const, rater: '', arousal: rating(i, 1), valence: rating(i, 2) },
      { ...base, source: 'external' as const, rater: 'R1', arousal: rating(i, 0), valence: rating(i, 3) },
      { ...base, source: 'external' as const, rater: 'R2', arousal: rating(i, 1), valence: rating(i, 3) },
      {
        ...base,
        source: 'external' as const,
        rater: 'aggregate',
        arousal: rating(i, 0),
        valence: rating(i, 3)
      }
    ]
  }).flat()
}

describe.skipIf(reason !== null)('Labels page in Chromium against emoheal serve', () => {
  const studyPath = join(tempDir('emoheal-e2e-labels-'), 'labels.emoheal-study')
  let serve: ServeProcess
  let browser: BrowserSession
  let sessionId = 0

  beforeAll(async () => {
    const study = new StudyStore(studyPath, { create: true, name: 'Label review' })
    const annotations = new AnnotationStore(study.db)
    for (const [code, seed] of [
      ['P01', 0],
      ['P02', 3]
    ] as const) {
      const participant = study.createParticipant({ code, notes: '' })
      const session = study.createSession({
        participantId: participant.id,
        name: 'Debate',
        startMs: START,
        timezone: 'Asia/Seoul',
        durationMs: WINDOWS * 5000,
        notes: ''
      })
      annotations.insertAnnotations(session.id, reportsOf(seed))
      sessionId = session.id
    }
    study.close()
    serve = await startServe(studyPath)
    browser = await openBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  const revisions = (): RevisionRow[] => revisionRowsIn(studyPath)

  it('opens the session of the route, corrects a label with a reason, reverts it, and writes both to the study file', async () => {
    const { page } = browser
    const url = new URL(serve.url)
    url.hash = `#/labels?session=${sessionId}`
    await page.goto(url.toString())
    const reportEndMs = START + 7 * 5000
    const row = page.getByTestId(`labels-row-${reportEndMs}`)
    await row.waitFor()
    await expect(page.getByTestId('labels-session').inputValue()).resolves.toBe(String(sessionId))
    expect(await page.locator('[data-test^="labels-row-1"]').count()).toBe(WINDOWS)

    // Session 2 (seed 3), the window of index i = 6: external aggregate arousal = 1 + ((6*7 + 0 + 3) % 5) = 1, class 0 at threshold 2.
    await expect(row.getByTestId('labels-row-label').textContent()).resolves.toBe('1')
    await expect(row.getByTestId('labels-row-class').textContent()).resolves.toBe('0')

    await row.getByTestId('labels-row-correct').click()
    await page.getByTestId('labels-correction-value').selectOption('4')
    // Without a reason the correction cannot be saved.
    await expect(page.getByTestId('labels-correction-save').isDisabled()).resolves.toBe(true)
    await page.getByTestId('labels-correction-reason').fill('video shows the participant laughing')
    await screenshot(page, 'labels-correction-form')
    await page.getByTestId('labels-correction-save').click()
    await page.getByTestId('labels-correction').waitFor({ state: 'detached' })
    await expect(row.getByTestId('labels-row-corrected').textContent()).resolves.toBe('yes')
    await expect(row.getByTestId('labels-row-label').textContent()).resolves.toBe('4')
    await expect(row.getByTestId('labels-row-class').textContent()).resolves.toBe('1')

    expect(revisions()).toEqual([
      {
        target: 'arousal',
        window_end_ms: reportEndMs,
        old_value: 1,
        new_value: 4,
        reason: 'video shows the participant laughing',
        reverted_ms: null,
        revert_reason: null
      }
    ])

    await page.getByTestId('labels-filter').selectOption('corrected')
    await expect(page.getByTestId('labels-shown-count').textContent()).resolves.toBe(
      `1 of ${WINDOWS} windows`
    )
    await screenshot(page, 'labels-corrected')

    await page.getByTestId('labels-revert').click()
    await page.getByTestId('labels-revert-reason').fill('the rater saw the whole clip')
    await page.getByTestId('labels-revert-confirm').click()
    await page.getByTestId('labels-revision-reverted').waitFor()
    await page.getByTestId('labels-filter').selectOption('all')
    // The revisions list and the table reload side by side: wait for the table too.
    await expect.poll(() => row.getByTestId('labels-row-corrected').textContent()).toBe('')
    await expect(row.getByTestId('labels-row-label').textContent()).resolves.toBe('1')

    const [reverted] = revisions()
    expect(reverted.reverted_ms).toEqual(expect.any(Number))
    expect(reverted.revert_reason).toBe('the rater saw the whole clip')
    await screenshot(page, 'labels')
    expect(browser.errors).toEqual([])
  })

  it('exports the windows table as a download', async () => {
    const { page } = browser
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('labels-export-windows').click()
    ])
    const text = readFileSync((await download.path())!, 'utf8')
    const lines = text.trim().split('\n')
    expect(lines).toHaveLength(WINDOWS + 1)
    expect(lines[0].split(',')).toContain('label_arousal')
    expect(download.suggestedFilename()).toBe('P02-Debate.external.windows.csv')
  })

  it('shifts the report offset by typing it, moving every window in signal time and storing it with the session', async () => {
    const { page } = browser
    const firstRow = page.getByTestId(`labels-row-${START + 5000}`)
    await expect(firstRow.locator('td').first().textContent()).resolves.toBe('0:00.0')
    await page.getByTestId('labels-offset').fill('1500')
    await page.getByTestId('labels-offset').press('Enter')
    await expect.poll(() => firstRow.locator('td').first().textContent()).toBe('0:01.5')
    await expect(firstRow.locator('td').nth(1).textContent()).resolves.toBe('0:06.5')
    const db = new Database(studyPath, { readonly: true })
    try {
      expect(
        db.prepare('SELECT alignment_offset_ms AS offset FROM session WHERE id = ?').get(sessionId)
      ).toEqual({ offset: 1500 })
    } finally {
      db.close()
    }
    expect(browser.errors).toEqual([])
  })
})

describe.skipIf(reason !== null)('Labels page on an imported synthetic K-EmoCon study', () => {
  const dir = tempDir('emoheal-e2e-kemocon-labels-')
  const studyPath = join(dir, 'kemocon.emoheal-study')
  let serve: ServeProcess
  let browser: BrowserSession

  beforeAll(async () => {
    const kemocon = writeSyntheticKemocon(join(dir, 'kemocon'), { participants: 2, minutes: 2, seed: 11 })
    runCli('import', 'kemocon', kemocon, '--study', studyPath, '--json')
    serve = await startServe(studyPath)
    browser = await openBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it('shows the external aggregate as the label, corrects one with a reason and reverts it', async () => {
    const db = new Database(studyPath, { readonly: true })
    const sessionId = (db.prepare('SELECT max(id) AS id FROM session').get() as { id: number }).id
    const windowCount = (
      db
        .prepare(
          "SELECT count(DISTINCT end_ms) AS n FROM annotation WHERE session_id = ? AND source IN ('self', 'partner', 'external')"
        )
        .get(sessionId) as { n: number }
    ).n
    const aggregate = db
      .prepare(
        "SELECT end_ms AS endMs, arousal FROM annotation WHERE session_id = ? AND rater = 'aggregate' AND arousal IS NOT NULL ORDER BY end_ms"
      )
      .all(sessionId) as { endMs: number; arousal: number }[]
    db.close()
    expect(aggregate.length).toBeGreaterThan(5)
    const { page } = browser
    const url = new URL(serve.url)
    url.hash = `#/labels?session=${sessionId}`
    await page.goto(url.toString())
    const chosen = aggregate[5]
    const row = page.getByTestId(`labels-row-${chosen.endMs}`)
    await row.waitFor()
    expect(await page.locator('[data-test^="labels-row-1"]').count()).toBe(windowCount)
    await expect(row.getByTestId('labels-row-label').textContent()).resolves.toBe(String(chosen.arousal))

    // The compact feature columns, computed in main from the session's E4 streams, with the values main computes.
    const study = new StudyStore(studyPath)
    const table = windowTable(study, { sessionId, source: 'external', target: 'arousal', threshold: 2 })
    study.close()
    const features = table.rows.find((r) => r.reportEndMs === chosen.endMs)!.features
    expect(features.hrMean).toEqual(expect.any(Number))
    const hrText = await row.getByTestId('labels-row-feature-hrMean').textContent()
    expect(Math.abs(Number(hrText) - features.hrMean!)).toBeLessThanOrEqual(0.5)
    const tonicText = await row.getByTestId('labels-row-feature-edaTonicMean').textContent()
    expect(Number(tonicText)).toBeCloseTo(features.edaTonicMean!, 1)
    await expect(page.getByTestId('labels-feature-pnn50').count()).resolves.toBe(0)
    await page.getByTestId('labels-features').selectOption('all')
    // 5-s windows are too short for pNN50: a documented null, shown as a dash.
    await expect(row.getByTestId('labels-row-feature-pnn50').textContent()).resolves.toBe('–')
    await expect(row.getByTestId('labels-row-feature-sdnn').textContent()).resolves.not.toBe('–')
    await screenshot(page, 'labels-kemocon-features')
    await page.getByTestId('labels-features').selectOption('none')
    await expect(page.getByTestId('labels-feature-hrMean').count()).resolves.toBe(0)
    await page.getByTestId('labels-features').selectOption('compact')

    const corrected = chosen.arousal === 5 ? 1 : chosen.arousal + 1
    await row.getByTestId('labels-row-correct').click()
    await page.getByTestId('labels-correction-value').selectOption(String(corrected))
    await page.getByTestId('labels-correction-reason').fill('rater lagged the event by one report')
    await page.getByTestId('labels-correction-save').click()
    await page.getByTestId('labels-correction').waitFor({ state: 'detached' })
    await expect(row.getByTestId('labels-row-corrected').textContent()).resolves.toBe('yes')
    expect(revisionRowsIn(studyPath)).toEqual([
      {
        target: 'arousal',
        window_end_ms: chosen.endMs,
        old_value: chosen.arousal,
        new_value: corrected,
        reason: 'rater lagged the event by one report',
        reverted_ms: null,
        revert_reason: null
      }
    ])
    await screenshot(page, 'labels-kemocon')

    await page.getByTestId('labels-revert').click()
    await page.getByTestId('labels-revert-reason').fill('checked the video again')
    await page.getByTestId('labels-revert-confirm').click()
    await page.getByTestId('labels-revision-reverted').waitFor()
    await expect.poll(() => row.getByTestId('labels-row-label').textContent()).toBe(String(chosen.arousal))
    expect(revisionRowsIn(studyPath)[0]).toMatchObject({
      reverted_ms: expect.any(Number),
      revert_reason: 'checked the video again'
    })
    expect(browser.errors).toEqual([])
  })
})
