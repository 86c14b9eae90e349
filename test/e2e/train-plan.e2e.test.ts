import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  browserUnavailableReason,
  openBrowser,
  runCli,
  screenshot,
  startServe,
  tempDir,
  writeSyntheticKemocon,
  type BrowserSession,
  type ServeProcess
} from './harness'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e train plan] skipped: ${reason}`)

describe.skipIf(reason !== null)('a run merged from a training plan on the Train page', () => {
  const directory = tempDir('emoheal-e2e-train-plan-')
  const studyPath = join(directory, 'plan.emoheal-study')
  const planDir = join(directory, 'plan')
  let serve: ServeProcess
  let browser: BrowserSession
  let runId: number

  beforeAll(async () => {
    const kemocon = writeSyntheticKemocon(join(directory, 'synth'), { participants: 4, minutes: 2, seed: 3 })
    runCli('import', 'kemocon', kemocon, '--study', studyPath, '--json')
    runCli(
      'train',
      'plan',
      '--study',
      studyPath,
      '--out',
      planDir,
      '--preset',
      'paper',
      '--groups',
      'auto',
      '--epochs',
      '1',
      '--ensemble',
      '1',
      '--filters',
      '4',
      '--seed',
      '5',
      '--backend',
      'wasm',
      '--no-final',
      '--json'
    )
    const merged = JSON.parse(
      runCli('train', 'run-plan', planDir, '--jobs', '2', '--study', studyPath, '--json')
    )
    runId = merged.runId
    serve = await startServe(studyPath)
    browser = await openBrowser()
    const url = new URL(serve.url)
    url.hash = '#/train'
    await browser.page.goto(url.toString())
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
    rmSync(directory, { recursive: true, force: true })
  })

  it('lists the run like any other, marked as from the plan, and shows where its tasks ran', async () => {
    const { page } = browser
    expect(runId).toBeGreaterThan(0)
    const row = page.getByTestId(`train-run-${runId}`)
    await row.waitFor()
    expect(await row.getAttribute('data-status')).toBe('done')
    expect(await page.getByTestId(`train-run-plan-${runId}`).getAttribute('title')).toContain(planDir)
    await page.getByTestId(`train-run-open-${runId}`).click()
    await page.getByTestId('train-results').waitFor()
    const plan = await page.getByTestId('train-result-plan').textContent()
    // Four groups, one member each: four tasks and no final model.
    expect(plan).toContain(planDir)
    expect(plan).toContain('4 tasks')
    expect(await page.getByTestId('train-result-preset').textContent()).toBe('paper')
    await expect.poll(() => page.getByTestId('train-fold-row').count()).toBe(4)
    await screenshot(page, 'train-plan-run')
  })
})
