import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  browserUnavailableReason,
  openBrowser,
  screenshot,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess,
  writeSyntheticKemocon
} from './harness'
import {
  addParticipantAndSession,
  expectParticipantAndSessionShown,
  expectParticipantAndSessionStored
} from './studies-flow'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e studies] skipped: ${reason}`)

describe.skipIf(reason !== null)('Studies page in Chromium against emoheal serve', () => {
  const studyPath = join(tempDir('emoheal-e2e-'), 'lab.emoheal-study')
  let serve: ServeProcess
  let browser: BrowserSession

  beforeAll(async () => {
    serve = await startServe(studyPath)
    browser = await openBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it('creates a participant and a session through the UI, keeps them across a reload, and writes them to the study file', async () => {
    const { page } = browser
    await page.goto(serve.url)
    await addParticipantAndSession(page)
    await page.reload()
    await expectParticipantAndSessionShown(page)
    await screenshot(page, 'studies')
    expectParticipantAndSessionStored(studyPath)
    expect(browser.errors).toEqual([])
  })

  it('shows the reason for a duplicate participant code instead of failing silently', async () => {
    const { page } = browser
    await page.getByTestId('participant-code').fill('P07')
    await page.getByTestId('participant-add').click()
    await expect(page.getByTestId('notice').textContent()).resolves.toContain(
      'a participant with code "P07" already exists'
    )
  })
})

describe.skipIf(reason !== null)('Importing a K-EmoCon copy from the Studies page', () => {
  const folder = tempDir('emoheal-e2e-import-')
  const studyPath = join(folder, 'import.emoheal-study')
  let serve: ServeProcess
  let browser: BrowserSession

  beforeAll(async () => {
    writeSyntheticKemocon(join(folder, 'kemocon'), { participants: 2, minutes: 1, seed: 5 })
    serve = await startServe(studyPath)
    browser = await openBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it('imports, shows the report, refuses the same data twice, and stores the sessions', async () => {
    const { page } = browser
    await page.goto(serve.url)
    await page.getByTestId('import').locator('summary').click()
    await page.getByTestId('import-path').fill(join(folder, 'kemocon'))
    await page.getByTestId('import-run').click()
    await expect(page.getByTestId('import-report').textContent()).resolves.toContain(
      '2 participants · 2 sessions'
    )
    await page.getByTestId('participant-1').waitFor()
    await screenshot(page, 'studies-import')

    await page.getByTestId('import-run').click()
    await page.getByTestId('notice').filter({ hasText: 'this data was already imported' }).waitFor()

    const db = new Database(studyPath, { readonly: true })
    try {
      expect(db.prepare('SELECT code FROM participant ORDER BY code').all()).toEqual([
        { code: '1' },
        { code: '2' }
      ])
      const streams = db.prepare('SELECT DISTINCT name FROM stream ORDER BY name').all() as { name: string }[]
      expect(streams.map((s) => s.name)).toEqual(['acc', 'bvp', 'eda', 'hr', 'ibi', 'temp'])
      expect((db.prepare('SELECT count(*) AS n FROM import_record').get() as { n: number }).n).toBe(1)
    } finally {
      db.close()
    }
  })
})
