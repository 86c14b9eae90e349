import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  browserUnavailableReason,
  openBrowser,
  repoRoot,
  screenshot,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess
} from './harness'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e embraceplus] skipped: ${reason}`)

const ROOT = join(repoRoot, 'test', 'fixtures', 'embraceplus', 'bucket', '1', '1', 'participant_data')

describe.skipIf(reason !== null)('Importing EmbracePlus files from the Studies page', () => {
  const studyPath = join(tempDir('emoheal-e2e-embraceplus-'), 'embraceplus.emoheal-study')
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

  it('imports a bucket root for one participant as one session, shows how the files joined, and opens it in Annotate', async () => {
    const { page } = browser
    await page.goto(serve.url)
    await page.getByTestId('import').locator('summary').click()
    await page.getByTestId('import-kind').selectOption('embraceplus')
    await page.getByTestId('import-path').fill(ROOT)
    await page.getByTestId('import-participant').fill('P01')
    await page.getByTestId('import-one-session').check()
    await page.getByTestId('import-run').click()
    await expect(page.getByTestId('import-report').textContent()).resolves.toContain(
      '1 participants · 1 sessions'
    )
    await expect(page.getByTestId('import-participants-found').textContent()).resolves.toContain('P01, P02')
    await expect(page.getByTestId('import-files').textContent()).resolves.toMatch(
      /4 files, schema 6\.4\.1;\s+1 gaps/
    )
    await page.getByTestId('participant-P01').waitFor()
    await screenshot(page, 'studies-import-embraceplus')

    const db = new Database(studyPath, { readonly: true })
    let sessionId: number
    try {
      const session = db.prepare('SELECT id, timezone, source FROM session').get() as {
        id: number
        timezone: string
        source: string
      }
      expect(session).toMatchObject({ timezone: 'Etc/GMT-1', source: 'embraceplus' })
      sessionId = session.id
      const rates = db
        .prepare('SELECT name, rate_hz FROM stream WHERE name IN (?, ?, ?, ?) ORDER BY name')
        .all('acc', 'bvp', 'eda', 'temp')
      expect(rates).toEqual([
        { name: 'acc', rate_hz: 64 },
        { name: 'bvp', rate_hz: 64 },
        { name: 'eda', rate_hz: 4 },
        { name: 'temp', rate_hz: 1 }
      ])
      expect(
        (db.prepare("SELECT count(*) AS n FROM gap WHERE cause = 'timestamp'").get() as { n: number }).n
      ).toBe(5)
    } finally {
      db.close()
    }

    await page.goto(`${serve.url}#/annotate?session=${sessionId}`)
    await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0)
    await screenshot(page, 'annotate-embraceplus')
    expect(browser.errors).toEqual([])
  })
})
