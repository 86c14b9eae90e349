import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildViewerStudy, type ViewerStudy } from '../../bench/viewer.study'
import {
  browserUnavailableReason,
  openBrowser,
  screenshot,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess
} from './harness'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e annotate overlays] skipped: ${reason}`)

describe.skipIf(reason !== null)('Annotate overlays in Chromium against emoheal serve', () => {
  const studyPath = join(tempDir('emoheal-e2e-overlays-'), 'overlays.emoheal-study')
  let built: ViewerStudy
  let serve: ServeProcess
  let browser: BrowserSession

  beforeAll(async () => {
    built = buildViewerStudy(studyPath, { minutes: 10, reportMinutes: 5, reportsFromMinute: 2 })
    serve = await startServe(studyPath)
    browser = await openBrowser()
    await browser.page.setViewportSize({ width: 1400, height: 1300 })
  })

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  const drawn = async (): Promise<Record<string, number>> =>
    JSON.parse((await browser.page.getByTestId('signal-panels').getAttribute('data-overlay-series')) ?? '{}')

  it('switches on beats, heart rate, EDA tonic/phasic, SCR peaks and motion, and the chart draws them', async () => {
    const { page } = browser
    await page.goto(`${serve.url}#/annotate?session=${built.sessionId}`)
    await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0)
    expect(await drawn()).toEqual({})

    // Zoom to about a minute so that beats are told apart.
    const overlay = page.getByTestId('viewer-overlay')
    const box = (await overlay.boundingBox())!
    await page.mouse.move(box.x + box.width * 0.5, box.y + 40)
    for (let i = 0; i < 6; i++) await page.keyboard.press('+')

    for (const [stream, kind] of [
      ['bvp', 'beats'],
      ['bvp', 'hr'],
      ['eda', 'tonic'],
      ['eda', 'phasic'],
      ['eda', 'scr'],
      ['acc', 'motion'],
      ['bvp', 'quality']
    ])
      await page.getByTestId(`overlay-toggle-${stream}-${kind}`).check()

    await expect
      .poll(async () => Object.keys(await drawn()).sort())
      .toEqual([
        'overlay.bvp.beats',
        'overlay.bvp.hr',
        'overlay.eda.phasic',
        'overlay.eda.scr',
        'overlay.eda.tonic'
      ])
    const counts = await drawn()
    // The view in hand spans three windows of about 47 s each (the visible one and a margin either side), ~75 bpm.
    expect(counts['overlay.bvp.beats']).toBeGreaterThan(50)
    expect(counts['overlay.bvp.hr']).toBe(counts['overlay.bvp.beats'])
    expect(counts['overlay.eda.tonic']).toBeGreaterThan(100)
    expect(counts['overlay.eda.phasic']).toBe(counts['overlay.eda.tonic'])
    expect(counts['overlay.eda.scr']).toBeGreaterThan(0)
    // EDA at 4 Hz: the 3 Hz low-pass is skipped, and the panel says so instead of failing.
    await expect.poll(() => page.getByTestId('overlay-note-eda').textContent()).toMatch(/4 Hz/)
    // Each stream's overlays arrive on their own (computed in the overlay worker, one stream after another):
    // the shaded spans may come after the lines and marks.
    await expect
      .poll(async () => Number(await page.getByTestId('signal-panels').getAttribute('data-overlay-spans')), {
        timeout: 10_000
      })
      .toBeGreaterThan(0)
    await expect
      .poll(() => page.getByTestId('overlay-span-bvp-quality').count(), { timeout: 10_000 })
      .toBeGreaterThan(0)
    await screenshot(page, 'annotate-overlays')

    // The choice is remembered: a reload draws the same overlays without touching a switch.
    await page.reload()
    await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0)
    await expect.poll(async () => (await drawn())['overlay.bvp.beats'] ?? 0).toBeGreaterThan(0)
    await expect(page.getByTestId('overlay-toggle-eda-tonic').isChecked()).resolves.toBe(true)

    // Off again: the series leave the chart.
    await page.getByTestId('overlay-toggle-bvp-beats').uncheck()
    await expect.poll(async () => 'overlay.bvp.beats' in (await drawn())).toBe(false)
    expect(browser.errors).toEqual([])
  })
})
