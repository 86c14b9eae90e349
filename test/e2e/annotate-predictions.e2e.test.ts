import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildViewerStudy, type ViewerStudy } from '../../bench/viewer.study'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { buildModel, parseModelConfig, type PaperModelConfig } from '../../src-main/engine/model'
import { exportPaperWeights, writeSafetensors } from '../../src-main/engine/torch'
import { ModelStore } from '../../src-main/store/model-store'
import { StudyStore } from '../../src-main/store/study-store'
import {
  browserUnavailableReason,
  openBrowser,
  screenshot,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess,
  runCli
} from './harness'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e annotate predictions] skipped: ${reason}`)

const REPORT_WINDOWS = 24

describe.skipIf(reason !== null)('model track on the Annotate page', () => {
  const directory = tempDir('emoheal-e2e-annotate-predictions-')
  const studyPath = join(directory, 'predictions.emoheal-study')
  let built: ViewerStudy
  let serve: ServeProcess
  let browser: BrowserSession
  let arousalModelId: number
  /** Report window ends: where session inference puts its windows when a session has reports. */
  let ends: number[]
  const activeValence = (i: number) => ((i * 37) % 100) / 100
  const otherValence = (i: number) => 0.05 + ((i * 11) % 90) / 100

  function query<T>(sql: string, ...args: unknown[]): T[] {
    const db = new Database(studyPath, { readonly: true })
    try {
      return db.prepare(sql).all(...args) as T[]
    } finally {
      db.close()
    }
  }

  beforeAll(async () => {
    built = buildViewerStudy(studyPath, {
      minutes: 10,
      reportMinutes: REPORT_WINDOWS / 12,
      reportsFromMinute: 2
    })
    const from = built.startMs + 2 * 60_000
    ends = Array.from({ length: REPORT_WINDOWS }, (_, i) => from + (i + 1) * 5000)

    // A real paper model, imported through the CLI: the page's button runs it over the session.
    await useBackend('wasm')
    const config = parseModelConfig({ kind: 'paper' }) as PaperModelConfig
    const model = buildModel(config, { seed: 5 })
    const weights = join(directory, 'paper.safetensors')
    writeFileSync(weights, writeSafetensors(exportPaperWeights(model, config)))
    model.dispose()
    const imported = JSON.parse(
      runCli('model', 'import-torch', weights, '--study', studyPath, '--name', 'paper e2e', '--json')
    ) as { modelId: number }
    arousalModelId = imported.modelId

    // Two valence models with stored predictions (their directories are never read: nothing runs them).
    const study = new StudyStore(studyPath)
    try {
      const models = new ModelStore(study.db)
      models.activateModel(arousalModelId)
      for (const [name, active, value] of [
        ['valence stored', true, activeValence],
        ['valence other', false, otherValence]
      ] as const) {
        const registered = models.registerModel({
          name,
          directory: join(directory, name),
          preset: 'native',
          target: 'valence',
          config: { kind: 'native-rate', windowSeconds: 5 },
          metrics: {}
        })
        if (active) models.activateModel(registered.id)
        models.savePredictions(
          registered.id,
          built.sessionId,
          'valence',
          ends.map((windowEndMs, i) => ({ windowEndMs, probabilities: [1 - value(i), value(i)] }))
        )
      }
    } finally {
      study.close()
    }
    serve = await startServe(studyPath)
    browser = await openBrowser()
    await browser.page.setViewportSize({ width: 1400, height: 1600 })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it('draws the stored probabilities, reads one on hover, switches model and predicts with the active one', async () => {
    const { page } = browser
    await page.goto(`${serve.url}#/annotate?session=${built.sessionId}`)
    await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0)
    const panels = page.getByTestId('signal-panels')
    const attribute = async (name: string) => Number(await panels.getAttribute(name))

    // 24 back-to-back 5-s windows: two points each, no gaps; no arousal predictions yet.
    await expect.poll(() => attribute('data-model-valence-points')).toBe(2 * REPORT_WINDOWS)
    expect(await attribute('data-model-arousal-points')).toBe(0)

    // Read the overlay's place each time: a notice above the page moves it down.
    const overlayBox = async () => (await page.getByTestId('viewer-overlay').boundingBox())!
    const xAt = async (timeMs: number) => {
      const box = await overlayBox()
      const fromMs = await attribute('data-from-ms')
      const toMs = await attribute('data-to-ms')
      return box.x + ((timeMs - fromMs) / (toMs - fromMs)) * box.width
    }
    const hoverWindow = async (index: number): Promise<string> => {
      const y = (await overlayBox()).y + (await attribute('data-model-top')) + 14
      await page.mouse.move(await xAt(ends[index] - 2500), y)
      return (await page.getByTestId('report-window-text').textContent()) ?? ''
    }
    expect(await hoverWindow(9)).toContain(`P(high valence) ${activeValence(9).toFixed(3)}`)

    // Picking the inactive valence model shows its probabilities instead.
    const select = page.getByTestId('model-track-select')
    const other = query<{ id: number }>("SELECT id FROM model WHERE name = 'valence other'")[0].id
    await select.selectOption(String(other))
    await expect.poll(() => hoverWindow(9)).toContain(`P(high valence) ${otherValence(9).toFixed(3)}`)
    await select.selectOption('')

    // The active arousal model has nothing stored for the session: the button runs it.
    const predict = page.getByTestId('model-track-predict')
    await expect(predict.textContent()).resolves.toContain('paper e2e')
    await predict.click()
    await expect
      .poll(() => page.getByTestId('notice').textContent(), { timeout: 60_000 })
      .toContain(`predicted ${REPORT_WINDOWS} windows`)
    const stored = () =>
      query<{ window_end_ms: number; probabilities: string }>(
        'SELECT window_end_ms, probabilities FROM prediction WHERE model_id = ? ORDER BY window_end_ms',
        arousalModelId
      )
    await expect.poll(() => stored().length, { timeout: 60_000 }).toBe(REPORT_WINDOWS)
    expect(stored().map((row) => row.window_end_ms)).toEqual(ends)
    await expect.poll(() => attribute('data-model-arousal-points')).toBe(2 * REPORT_WINDOWS)
    await expect(predict.count()).resolves.toBe(0)
    const high = (JSON.parse(stored()[14].probabilities) as number[])[1]
    const text = await hoverWindow(14)
    expect(text).toContain(`P(high arousal) ${high.toFixed(3)}`)
    expect(text).toContain(`P(high valence) ${activeValence(14).toFixed(3)}`)

    // Zoom onto the reports so the steps are visible in the screenshot, hovering one window.
    const wholeSpan = (await attribute('data-to-ms')) - (await attribute('data-from-ms'))
    await page.mouse.move(await xAt(ends[12]), (await overlayBox()).y + 40)
    for (let i = 0; i < 3; i++) await page.keyboard.press('+')
    await expect
      .poll(async () => (await attribute('data-to-ms')) - (await attribute('data-from-ms')))
      .toBeLessThan(wholeSpan / 3)
    await hoverWindow(14)
    await screenshot(page, 'annotate-predictions')
    expect(browser.errors).toEqual([])
  }, 120_000)
})
