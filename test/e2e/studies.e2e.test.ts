import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserUnavailableReason, openBrowser, screenshot, startServe, tempDir, type BrowserSession, type ServeProcess } from './harness'
import { addParticipantAndSession, expectParticipantAndSessionShown, expectParticipantAndSessionStored } from './studies-flow'

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
    await expect(page.getByTestId('notice').textContent()).resolves.toContain('a participant with code "P07" already exists')
  })
})
