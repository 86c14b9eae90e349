import Database from 'better-sqlite3'
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
if (reason) console.warn(`[e2e annotate] skipped: ${reason}`)

describe.skipIf(reason !== null)('Annotate page in Chromium against emoheal serve', () => {
  const studyPath = join(tempDir('emoheal-e2e-annotate-'), 'annotate.emoheal-study')
  let built: ViewerStudy
  let serve: ServeProcess
  let browser: BrowserSession

  function query<T>(sql: string): T[] {
    const db = new Database(studyPath, { readonly: true })
    try {
      return db.prepare(sql).all() as T[]
    } finally {
      db.close()
    }
  }

  const manualRegions = () =>
    query<{ start_ms: number; end_ms: number; arousal: number | null; valence: number | null }>(
      "SELECT start_ms, end_ms, arousal, valence FROM annotation WHERE source = 'manual'"
    )
  const offset = () =>
    query<{ alignment_offset_ms: number }>('SELECT alignment_offset_ms FROM session')[0].alignment_offset_ms

  async function viewWindow(): Promise<{
    fromMs: number
    toMs: number
    signalsTop: number
    reportsTop: number
  }> {
    const panels = browser.page.getByTestId('signal-panels')
    const read = async (name: string) => Number(await panels.getAttribute(name))
    return {
      fromMs: await read('data-from-ms'),
      toMs: await read('data-to-ms'),
      signalsTop: await read('data-signals-top'),
      reportsTop: await read('data-reports-top')
    }
  }

  beforeAll(async () => {
    built = buildViewerStudy(studyPath, { minutes: 30, reportMinutes: 10, reportsFromMinute: 5 })
    serve = await startServe(studyPath)
    browser = await openBrowser()
    await browser.page.setViewportSize({ width: 1400, height: 1500 })
  })

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it('opens a session, zooms, draws a region by mouse, edits it with undo, and shifts the report alignment', async () => {
    const { page } = browser
    await page.goto(`${serve.url}#/annotate?session=${built.sessionId}`)
    await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0)
    const whole = await viewWindow()
    expect(whole.toMs - whole.fromMs).toBeCloseTo(built.endMs - built.startMs, -4)

    // Zoom in around the report period: the overview click centres the view, then + zooms 1.5x each.
    const overlay = page.getByTestId('viewer-overlay')
    const box = (await overlay.boundingBox())!
    await page.mouse.move(box.x + box.width * (7.5 / 30), box.y + 40)
    for (let i = 0; i < 4; i++) await page.keyboard.press('+')
    const zoomed = await viewWindow()
    expect((zoomed.toMs - zoomed.fromMs) / (whole.toMs - whole.fromMs)).toBeCloseTo(1 / 1.5 ** 4, 3)
    expect(manualRegions()).toEqual([])

    // Shift-drag draws a region; its times follow from the pixel positions and the view.
    const y = box.y + zoomed.signalsTop + 30
    const x1 = box.x + box.width * 0.3
    const x2 = box.x + box.width * 0.45
    await page.keyboard.down('Shift')
    await page.mouse.move(x1, y)
    await page.mouse.down()
    await page.mouse.move((x1 + x2) / 2, y, { steps: 4 })
    await page.mouse.move(x2, y, { steps: 4 })
    await page.mouse.up()
    await page.keyboard.up('Shift')
    const msPerPixel = (zoomed.toMs - zoomed.fromMs) / box.width
    await expect.poll(() => manualRegions().length).toBe(1)
    const [drawn] = manualRegions()
    expect(Math.abs(drawn.start_ms - (zoomed.fromMs + (x1 - box.x) * msPerPixel))).toBeLessThanOrEqual(
      msPerPixel
    )
    expect(Math.abs(drawn.end_ms - (zoomed.fromMs + (x2 - box.x) * msPerPixel))).toBeLessThanOrEqual(
      msPerPixel
    )
    expect(drawn).toMatchObject({ arousal: null, valence: null })

    // Edit arousal in the inspector, valence by keyboard, then undo and redo the valence.
    await page.getByTestId('region-arousal').selectOption('4')
    await expect.poll(() => manualRegions()[0].arousal).toBe(4)
    await page.mouse.move(box.x + box.width * 0.9, y)
    await page.keyboard.press('Shift+Digit2')
    await expect.poll(() => manualRegions()[0].valence).toBe(2)
    await page.keyboard.press('Control+z')
    await expect.poll(() => manualRegions()[0].valence).toBe(null)
    await page.keyboard.press('Control+Shift+z')
    await expect
      .poll(() => manualRegions()[0])
      .toMatchObject({ arousal: 4, valence: 2, start_ms: drawn.start_ms })

    // Drag the region's body 50 px to the right: both ends move by the same time.
    const regionBox = (await page.locator('[data-region-id]').first().boundingBox())!
    await page.mouse.move(regionBox.x + regionBox.width / 2, y)
    await page.mouse.down()
    await page.mouse.move(regionBox.x + regionBox.width / 2 + 25, y, { steps: 3 })
    await page.mouse.move(regionBox.x + regionBox.width / 2 + 50, y, { steps: 3 })
    await page.mouse.up()
    await expect.poll(() => manualRegions()[0].start_ms).not.toBe(drawn.start_ms)
    const moved = manualRegions()[0]
    expect(Math.abs(moved.start_ms - drawn.start_ms - 50 * msPerPixel)).toBeLessThanOrEqual(2)
    expect(moved.end_ms - moved.start_ms).toBeCloseTo(drawn.end_ms - drawn.start_ms, 0)

    // Drag the region's right edge 30 px further: only its end moves.
    const handle = (await page.locator('[data-region-id] .region-handle.end').first().boundingBox())!
    await page.mouse.move(handle.x + handle.width / 2, y)
    await page.mouse.down()
    await page.mouse.move(handle.x + handle.width / 2 + 30, y, { steps: 4 })
    await page.mouse.up()
    await expect.poll(() => manualRegions()[0].end_ms).not.toBe(moved.end_ms)
    const resized = manualRegions()[0]
    expect(resized.start_ms).toBe(moved.start_ms)
    expect(Math.abs(resized.end_ms - moved.end_ms - 30 * msPerPixel)).toBeLessThanOrEqual(2)

    // A marker at the cursor (M), deleted (Delete) and brought back (Ctrl+Z).
    const markers = () => query<{ time_ms: number; source: string }>('SELECT time_ms, source FROM marker')
    const markerX = box.x + box.width * 0.8
    await page.mouse.move(markerX, y)
    await page.keyboard.press('m')
    await expect.poll(() => markers().length).toBe(1)
    expect(
      Math.abs(markers()[0].time_ms - (zoomed.fromMs + (markerX - box.x) * msPerPixel))
    ).toBeLessThanOrEqual(msPerPixel)
    expect(markers()[0].source).toBe('manual')
    // The page selects the new marker once main has answered; Delete acts on the selection.
    await page.locator('.marker.selected').waitFor()
    await page.keyboard.press('Delete')
    await expect.poll(() => markers().length).toBe(0)
    await page.keyboard.press('Control+z')
    await expect.poll(() => markers().length).toBe(1)

    // Drag the report tracks 80 px to the right: the offset is the dragged time.
    expect(zoomed.reportsTop).toBeGreaterThan(0)
    const trackY = box.y + zoomed.reportsTop + 10
    await page.mouse.move(box.x + 300, trackY)
    await page.mouse.down()
    await page.mouse.move(box.x + 340, trackY, { steps: 3 })
    await page.mouse.move(box.x + 380, trackY, { steps: 3 })
    await page.mouse.up()
    await expect.poll(offset).not.toBe(0)
    expect(Math.abs(offset() - 80 * msPerPixel)).toBeLessThanOrEqual(2)

    // Typing an offset in seconds replaces it.
    await page.getByTestId('offset-input').fill('-2.5')
    await page.getByTestId('offset-input').press('Enter')
    await expect.poll(offset).toBe(-2500)
    expect(manualRegions()).toHaveLength(1)

    // Hovering a report track names the window it labels.
    await page.mouse.move(box.x + box.width * 0.5, trackY)
    await expect(page.getByTestId('report-window-text').textContent()).resolves.toMatch(/arousal \d/)

    await page
      .getByTestId(
        'region-' + (await page.locator('[data-region-id]').first().getAttribute('data-region-id'))
      )
      .waitFor()
    await screenshot(page, 'annotate')
    expect(browser.errors).toEqual([])
  })
})
