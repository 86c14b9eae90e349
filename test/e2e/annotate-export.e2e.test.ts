import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildViewerStudy, type ViewerStudy } from '../../bench/viewer.study'
import {
  browserUnavailableReason,
  openBrowser,
  runCli,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess
} from './harness'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e annotate export] skipped: ${reason}`)

describe.skipIf(reason !== null)('EDF+/BDF+ download from the Annotate page', () => {
  const dir = tempDir('emoheal-e2e-edf-')
  const studyPath = join(dir, 'export.emoheal-study')
  let built: ViewerStudy
  let serve: ServeProcess
  let browser: BrowserSession

  beforeAll(async () => {
    built = buildViewerStudy(studyPath, { minutes: 3, reportMinutes: 2, reportsFromMinute: 0 })
    serve = await startServe(studyPath)
    browser = await openBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it.each(['edf', 'bdf'] as const)(
    'downloads the session as %s, the same file the command line writes',
    async (format) => {
      const { page } = browser
      await page.goto(`${serve.url}#/annotate?session=${built.sessionId}`)
      await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0)
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(`export-${format}`).click()
      ])
      expect(download.suggestedFilename()).toMatch(new RegExp(`\\.${format}$`))
      const saved = join(dir, `downloaded.${format}`)
      await download.saveAs(saved)
      const bytes = readFileSync(saved)
      // EDF's version field is "0" and BDF's is 0xFF "BIOSEMI"; the reserved field says EDF+C/BDF+C.
      if (format === 'edf') expect(bytes.subarray(0, 8).toString('latin1')).toBe('0       ')
      else expect(bytes.subarray(0, 8).toString('latin1')).toBe('\xffBIOSEMI')
      expect(bytes.subarray(192, 197).toString('latin1')).toBe(format === 'edf' ? 'EDF+C' : 'BDF+C')
      const out = join(dir, `cli.${format}`)
      runCli('export', format, '--study', studyPath, '--session', String(built.sessionId), '--out', out)
      expect(bytes.equals(readFileSync(out))).toBe(true)
    }
  )
})
