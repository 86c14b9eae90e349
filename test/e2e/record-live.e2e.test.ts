import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { buildModel, parseModelConfig, type PaperModelConfig } from '../../src-main/engine/model'
import { exportPaperWeights, writeSafetensors } from '../../src-main/engine/torch'
import { ModelStore } from '../../src-main/store/model-store'
import { StudyStore } from '../../src-main/store/study-store'
import {
  browserUnavailableReason,
  openBrowser,
  runCli,
  screenshot,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess
} from './harness'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e record live] skipped: ${reason}`)

describe.skipIf(reason !== null)('live inference while recording on the Record page', () => {
  const directory = tempDir('emoheal-e2e-record-live-')
  const studyPath = join(directory, 'live.emoheal-study')
  let serve: ServeProcess
  let browser: BrowserSession

  beforeAll(async () => {
    const created = new StudyStore(studyPath, { create: true, name: 'Live' })
    created.createParticipant({ code: 'L01', notes: '' })
    created.close()
    // A paper model imported through the CLI and made active: what the Record page runs by default.
    await useBackend('wasm')
    const config = parseModelConfig({ kind: 'paper' }) as PaperModelConfig
    const model = buildModel(config, { seed: 8 })
    const weights = join(directory, 'paper.safetensors')
    writeFileSync(weights, writeSafetensors(exportPaperWeights(model, config)))
    model.dispose()
    const { modelId } = JSON.parse(
      runCli('model', 'import-torch', weights, '--study', studyPath, '--name', 'paper live', '--json')
    ) as { modelId: number }
    const study = new StudyStore(studyPath)
    try {
      new ModelStore(study.db).activateModel(modelId)
    } finally {
      study.close()
    }
    serve = await startServe(studyPath)
    browser = await openBrowser()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it('records the simulated wristband, predicts every second with the active model, and stops', async () => {
    const { page } = browser
    await page.goto(`${serve.url}#/record`)
    await expect
      .poll(() => page.getByTestId('prediction-model').textContent())
      .toContain('will predict with paper live')
    await expect.poll(() => page.getByTestId('record-participant').inputValue()).not.toBe('')

    await page.getByTestId('record-start').click()
    await expect.poll(() => page.getByTestId('record-state').textContent()).toContain('recording')
    await expect(page.getByTestId('prediction-model').textContent()).resolves.toMatch(
      /paper live \(#\d+\) · paper · arousal · 5-s windows of hr, eda, temp, bvp, acc/
    )
    // The built app loads ONNX Runtime's binding (a bundled import resolves it by its file name): on wasm,
    // without TensorFlow functions, it is the one-window path; model.predict would be several times slower.
    if ((process.env.EMOHEAL_BACKEND ?? 'wasm') === 'wasm')
      await expect(page.getByTestId('prediction-model').textContent()).resolves.toContain(
        'predicted by ONNX Runtime'
      )
    // Samples reach every plot within moments; the first seconds are skipped while the window fills.
    const points = async (name: string) =>
      Number(await page.getByTestId(`record-chart-${name}`).getAttribute('data-points'))
    for (const name of ['bvp', 'eda', 'temp', 'acc', 'hr'])
      await expect.poll(() => points(name), { timeout: 5000 }).toBeGreaterThan(0)
    await expect
      .poll(() => page.getByTestId('prediction-tick').textContent())
      .toContain('not enough signal yet')

    // From about the fourth second on, one prediction a second.
    const counts = page.getByTestId('prediction-counts')
    await expect
      .poll(async () => Number(await counts.getAttribute('data-predictions')), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1)
    const probability = Number(
      await page.getByTestId('prediction-probability').getAttribute('data-probability')
    )
    expect(probability).toBeGreaterThanOrEqual(0)
    expect(probability).toBeLessThanOrEqual(1)
    await expect
      .poll(async () => Number(await page.getByTestId('prediction-chart').getAttribute('data-points')))
      .toBeGreaterThanOrEqual(1)
    // BVP (64 Hz) is drawn at 32 Hz like the accelerometer (32 Hz, three lines): as many points as one axis.
    const [bvpPoints, accPoints] = [await points('bvp'), await points('acc')]
    expect(bvpPoints).toBeGreaterThan(64)
    expect(Math.abs(bvpPoints - accPoints / 3)).toBeLessThanOrEqual(8)
    await screenshot(page, 'record-live')

    await page.getByTestId('record-stop').click()
    await expect.poll(() => page.getByTestId('record-state').textContent()).toContain('stopped')
    const stoppedAt = Number(await counts.getAttribute('data-predictions'))
    await page.waitForTimeout(1200)
    expect(Number(await counts.getAttribute('data-predictions'))).toBe(stoppedAt)

    // Every prediction shown was stored with the recorded session, for the Annotate page's model track.
    const sessionId = Number(await page.getByTestId('record-open-annotate').getAttribute('data-session-id'))
    const db = new Database(studyPath, { readonly: true })
    try {
      const stored = db
        .prepare('SELECT COUNT(*) AS n FROM prediction WHERE session_id = ?')
        .get(sessionId) as { n: number }
      expect(stored.n).toBe(stoppedAt)
      expect(Number(await counts.getAttribute('data-stored'))).toBe(stoppedAt)
    } finally {
      db.close()
    }
    expect(browser.errors).toEqual([])
  }, 60_000)
})
