import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserUnavailableReason, openBrowser, screenshot, startServe, tempDir, type BrowserSession, type ServeProcess } from './harness'

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
    await page.getByTestId('participant-code').fill('P07')
    await page.getByTestId('participant-notes').fill('left-handed')
    await page.getByTestId('participant-add').click()
    await page.getByTestId('participant-P07').waitFor()

    await page.getByTestId('session-name').fill('Debate 1')
    await page.getByTestId('session-start').fill('2026-03-04T09:30:15')
    await page.getByTestId('session-timezone').fill('Asia/Seoul')
    await page.getByTestId('session-add').click()
    await page.getByTestId('session-Debate 1').waitFor()

    await page.reload()
    await page.getByTestId('participant-P07').waitFor()
    await expect(page.getByTestId('session-Debate 1').textContent()).resolves.toContain('2026-03-04 09:30:15')
    await screenshot(page, 'studies')

    const db = new Database(studyPath, { readonly: true })
    try {
      const participant = db.prepare('SELECT id, code, notes FROM participant').all()
      expect(participant).toEqual([{ id: expect.any(Number), code: 'P07', notes: 'left-handed' }])
      const session = db.prepare('SELECT name, start_ms, timezone FROM session').get() as { name: string; start_ms: number; timezone: string }
      // 09:30:15 in Seoul (UTC+9) is 00:30:15 UTC.
      expect(session).toEqual({ name: 'Debate 1', start_ms: Date.UTC(2026, 2, 4, 0, 30, 15), timezone: 'Asia/Seoul' })
    } finally {
      db.close()
    }
    expect(browser.errors).toEqual([])
  })

  it('shows a field-named error for a duplicate participant code instead of failing silently', async () => {
    const { page } = browser
    await page.getByTestId('participant-code').fill('P07')
    await page.getByTestId('participant-add').click()
    await expect(page.getByTestId('notice').textContent()).resolves.toContain('already exists')
  })
})
