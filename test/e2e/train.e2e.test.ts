import Database from 'better-sqlite3'
import { existsSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trainingPresets } from '../../src-main/ipc/contract/presets'
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

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e train] skipped: ${reason}`)

interface RunRow {
  id: number
  status: string
  results: string | null
  model_id: number | null
}

function runsIn(studyPath: string): RunRow[] {
  const db = new Database(studyPath, { readonly: true })
  try {
    return db.prepare('SELECT id, status, results, model_id FROM training_run ORDER BY id').all() as RunRow[]
  } finally {
    db.close()
  }
}

function modelsIn(studyPath: string): { id: number; name: string; preset: string; directory: string }[] {
  const db = new Database(studyPath, { readonly: true })
  try {
    return db.prepare('SELECT id, name, preset, directory FROM model ORDER BY id').all() as {
      id: number
      name: string
      preset: string
      directory: string
    }[]
  } finally {
    db.close()
  }
}

/** Epochs of the paper preset's first run: enough for a few confident out-of-fold mistakes to review. */
const EPOCHS = 15

interface StoredResults {
  evaluation: {
    folds: { metrics: { accuracy: number; confusion: number[][] }; members: { epochsRun: number }[] }[]
  }
  review: { sessionId: number; endMs: number; confidence: number }[]
}

function finalModelEpochs(studyPath: string, modelId: number): number {
  const db = new Database(studyPath, { readonly: true })
  try {
    const row = db.prepare('SELECT metrics FROM model WHERE id = ?').get(modelId) as { metrics: string }
    return (JSON.parse(row.metrics) as { finalModel: { epochsRun: number } }).finalModel.epochsRun
  } finally {
    db.close()
  }
}

/** The number of points the loss chart was last drawn with. */
async function drawnPoints(page: Page): Promise<number> {
  return Number(await page.getByTestId('train-curves').getAttribute('data-points'))
}

async function fill(page: Page, testId: string, value: string): Promise<void> {
  await page.getByTestId(testId).fill(value)
}

describe.skipIf(reason !== null)('Train page in Chromium against emoheal serve', () => {
  const directory = tempDir('emoheal-e2e-train-')
  const studyPath = join(directory, 'train.emoheal-study')
  let serve: ServeProcess
  let browser: BrowserSession

  beforeAll(async () => {
    const kemocon = writeSyntheticKemocon(join(directory, 'synth'), { participants: 4, minutes: 2, seed: 1 })
    runCli('import', 'kemocon', kemocon, '--study', studyPath, '--json')
    serve = await startServe(studyPath)
    browser = await openBrowser()
    const url = new URL(serve.url)
    url.hash = '#/train'
    await browser.page.goto(url.toString())
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
    rmSync(directory, { recursive: true, force: true })
  })

  it('trains from the page: the curves get points while it runs, then the per-fold results show', async () => {
    const { page } = browser
    // A study never trained opens with the published preset.
    await expect.poll(() => page.getByTestId('train-preset').inputValue()).toBe('paper')
    // Blank fields show the preset's values, as the contract defines them for the engine.
    const placeholder = () => page.getByTestId('train-epochs').getAttribute('placeholder')
    expect(await placeholder()).toBe(String(trainingPresets.paper.epochs))
    await page.getByTestId('train-preset').selectOption('native')
    await expect.poll(placeholder).toBe(String(trainingPresets.native.epochs))
    await page.getByTestId('train-preset').selectOption('paper')
    await expect.poll(placeholder).toBe(String(trainingPresets.paper.epochs))
    // Seeded, so the same out-of-fold mistakes each time.
    await fill(page, 'train-epochs', String(EPOCHS))
    await fill(page, 'train-ensemble', '1')
    await fill(page, 'train-seed', '1')
    await page.getByTestId('train-backend').selectOption('wasm')
    await page.getByTestId('train-start').click()

    await expect.poll(() => drawnPoints(page), { timeout: 30_000, interval: 100 }).toBeGreaterThan(0)
    const early = await drawnPoints(page)
    await expect.poll(() => drawnPoints(page), { timeout: 30_000, interval: 100 }).toBeGreaterThan(early)
    await screenshot(page, 'train-running')

    // About 30 s on an idle 2-core machine; the limit leaves room for a busy one.
    await expect
      .poll(() => page.getByTestId('train-phase').textContent(), { timeout: 110_000 })
      .toContain('done')
    await page.getByTestId('train-results').waitFor()
    expect(await page.getByTestId('train-result-preset').textContent()).toBe('paper')
    expect(await page.getByTestId('train-result-parameters').textContent()).toBe('213,811')
    expect(await page.getByTestId('train-result-backend').textContent()).toContain('wasm')

    // The page shows what the run stored.
    const [done] = runsIn(studyPath)
    expect(done.status).toBe('done')
    const stored = JSON.parse(done.results!) as StoredResults
    // Four groups, four folds.
    await expect.poll(() => page.getByTestId('train-fold-row').count()).toBe(4)
    const accuracies = stored.evaluation.folds.map((fold) => fold.metrics.accuracy)
    const mean = accuracies.reduce((sum, value) => sum + value, 0) / accuracies.length
    expect(await page.getByTestId('train-mean-row').textContent()).toContain((mean * 100).toFixed(1))
    const pooledCells = await page.getByTestId('train-confusion').locator('td').allTextContents()
    const pooled = [0, 1].flatMap((actual) =>
      [0, 1].map((predicted) =>
        stored.evaluation.folds.reduce((sum, fold) => sum + fold.metrics.confusion[actual][predicted], 0)
      )
    )
    expect(pooledCells.map(Number)).toEqual(pooled)

    // Five curves (four folds, the final model), a training and a validation line each, a point per epoch run.
    expect(await page.getByTestId('train-curves').getAttribute('data-curves')).toBe('5')
    const foldEpochs = stored.evaluation.folds.reduce((sum, fold) => sum + fold.members[0].epochsRun, 0)
    const finalEpochs = finalModelEpochs(studyPath, done.model_id!)
    expect(await drawnPoints(page)).toBe((foldEpochs + finalEpochs) * 2)

    // Label review: the run's confident out-of-fold disagreements, ranked, each a link to its session's labels.
    const reviewRows = page.getByTestId('train-review-row')
    expect(stored.review.length).toBeGreaterThan(0)
    await expect.poll(() => reviewRows.count()).toBe(stored.review.length)
    const confidences = (await reviewRows.locator('td:last-child').allTextContents()).map(parseFloat)
    expect(confidences).toEqual(stored.review.map((item) => Number((item.confidence * 100).toFixed(0))))

    // The final model is in the registry.
    await page.getByTestId(`model-row-${done.model_id}`).waitFor()
    await page.getByTestId('train-results').scrollIntoViewIfNeeded()
    await screenshot(page, 'train-done')

    const [first] = stored.review
    await reviewRows.first().getByTestId('train-review-link').click()
    await page.getByTestId(`labels-row-${first.endMs}`).waitFor()
    const hash = new URL(page.url()).hash
    expect(hash.startsWith('#/labels?')).toBe(true)
    expect(new URLSearchParams(hash.split('?')[1]).get('session')).toBe(String(first.sessionId))
    await screenshot(page, 'train-review-to-labels')
    await page.goBack()
    await page.getByTestId('train-form').waitFor()
    expect(browser.errors).toEqual([])
  }, 150_000)

  it('cancels a run: the run is recorded cancelled and the registry keeps only the finished model', async () => {
    const { page } = browser
    await fill(page, 'train-epochs', '150')
    await page.getByTestId('train-start').click()
    await expect.poll(() => page.getByTestId('train-cancel').isEnabled(), { timeout: 10_000 }).toBe(true)
    await expect.poll(() => drawnPoints(page), { timeout: 30_000, interval: 100 }).toBeGreaterThan(0)
    await page.getByTestId('train-cancel').click()
    await expect
      .poll(() => page.getByTestId('train-phase').textContent(), { timeout: 20_000 })
      .toContain('cancelled')
    await screenshot(page, 'train-cancelled')

    const runs = runsIn(studyPath)
    expect(runs.map((run) => run.status)).toEqual(['done', 'cancelled'])
    expect(runs[0].results).not.toBeNull()
    expect(runs[1].results).toBeNull()
    expect(runs[1].model_id).toBeNull()
    expect(modelsIn(studyPath)).toHaveLength(1)
    await expect
      .poll(() => page.getByTestId(`train-run-${runs[1].id}`).getAttribute('data-status'))
      .toBe('cancelled')
    expect(browser.errors).toEqual([])
  }, 60_000)

  it('exports the model as PyTorch weights, imports them back into the registry, predicts a session for the Labels page', async () => {
    const { page } = browser
    const [trained] = modelsIn(studyPath)
    const weights = join(directory, 'exported.safetensors')
    await page.getByTestId(`model-row-${trained.id}`).click()
    await fill(page, 'model-export-path', weights)
    await page.getByTestId('model-export').click()
    await expect
      .poll(() => existsSync(weights) && statSync(weights).size, { timeout: 20_000 })
      .toBeGreaterThan(213_811 * 4)

    // The same model as one ONNX file with uint8 weights, which ONNX Runtime loads with the raw streams as inputs.
    const onnxFile = join(directory, 'exported.onnx')
    await fill(page, 'model-onnx-path', onnxFile)
    await page.getByTestId('model-onnx-dtype').selectOption('uint8')
    await page.getByTestId('model-onnx-export').click()
    await expect.poll(() => existsSync(onnxFile), { timeout: 20_000 }).toBe(true)
    const ort = await import('onnxruntime-node')
    const session = await ort.InferenceSession.create(onnxFile, { logSeverityLevel: 3 })
    expect(session.inputNames).toEqual(['hr', 'eda', 'temp', 'bvp', 'acc'])
    expect(statSync(onnxFile).size).toBeLessThan(213_811 * 2)
    await session.release()

    await fill(page, 'model-import-path', weights)
    await fill(page, 'model-import-name', 'round trip')
    await page.getByTestId('model-import').click()
    await expect.poll(() => modelsIn(studyPath).length, { timeout: 20_000 }).toBe(2)
    const imported = modelsIn(studyPath)[1]
    expect(imported).toMatchObject({ name: 'round trip', preset: 'paper' })
    expect(imported.directory.startsWith(`${studyPath}.models`)).toBe(true)
    expect(existsSync(imported.directory)).toBe(true)

    // Make the import the active model and predict the first session with it.
    await page.getByTestId(`model-activate-${imported.id}`).click()
    await page.getByTestId(`model-row-${imported.id}`).getByTestId('model-active').waitFor()
    await page.getByTestId(`model-row-${imported.id}`).click()
    const sessionId = Number(
      await page.getByTestId('model-predict-session').locator('option').first().getAttribute('value')
    )
    await page.getByTestId('model-predict-session').selectOption(String(sessionId))
    await page.getByTestId('model-predict').click()
    await expect.poll(() => predictionCount(studyPath, imported.id), { timeout: 20_000 }).toBeGreaterThan(0)

    // Side by side, newest first: the import has no evaluation, the trained model shows its own.
    await page.getByTestId(`model-compare-${trained.id}`).check()
    await page.getByTestId(`model-compare-${imported.id}`).check()
    const comparison = page.getByTestId('model-compare')
    expect(await comparison.locator('thead th').allTextContents()).toEqual(['', 'round trip', trained.name])
    const accuracyRow = comparison.locator('tr', { hasText: 'Mean accuracy' }).locator('td')
    const [run] = runsIn(studyPath)
    const mean = (JSON.parse(run.results!) as { evaluation: { mean: { accuracy: { mean: number } } } })
      .evaluation.mean.accuracy.mean
    expect(await accuracyRow.allTextContents()).toEqual([
      '–',
      expect.stringContaining((mean * 100).toFixed(1))
    ])
    await screenshot(page, 'train-registry')
    await comparison.scrollIntoViewIfNeeded()
    await screenshot(page, 'train-compare')

    const url = new URL(serve.url)
    url.hash = `#/labels?session=${sessionId}`
    await page.goto(url.toString())
    await page.getByTestId('labels-predicted-arousal').waitFor()
    const shown = await page.getByTestId('labels-row-p-arousal').allTextContents()
    const stored = storedProbabilities(studyPath, imported.id, sessionId)
    // Rows are sorted by start, stored predictions by window end: the same order, window for window.
    expect(shown.map((text) => text.trim())).toEqual(stored.map((p) => `${(p * 100).toFixed(0)}%`))
    await screenshot(page, 'labels-predictions')
    expect(browser.errors).toEqual([])
  }, 60_000)
})

function predictionCount(studyPath: string, modelId: number): number {
  const db = new Database(studyPath, { readonly: true })
  try {
    return (
      db.prepare('SELECT COUNT(*) AS n FROM prediction WHERE model_id = ?').get(modelId) as { n: number }
    ).n
  } finally {
    db.close()
  }
}

function storedProbabilities(studyPath: string, modelId: number, sessionId: number): number[] {
  const db = new Database(studyPath, { readonly: true })
  try {
    return (
      db
        .prepare(
          'SELECT probabilities FROM prediction WHERE model_id = ? AND session_id = ? ORDER BY window_end_ms'
        )
        .all(modelId, sessionId) as { probabilities: string }[]
    ).map((row) => (JSON.parse(row.probabilities) as number[])[1])
  } finally {
    db.close()
  }
}
