import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { _electron as electron } from 'playwright-core'
import { describe, it } from 'vitest'
import { repoRoot, tempDir } from './harness'
import {
  addParticipantAndSession,
  expectParticipantAndSessionShown,
  expectParticipantAndSessionStored
} from './studies-flow'

function electronBinary(): { path?: string; reason?: string } {
  try {
    const path = createRequire(__filename)(join(repoRoot, 'node_modules', 'electron')) as string
    return existsSync(path) ? { path } : { reason: `Electron's binary is missing at ${path}` }
  } catch {
    return {
      reason: `Electron's binary is not installed (npm ci fetches it where its host is reachable; "npm run setup:electron" retries)`
    }
  }
}

const binary = electronBinary()
if (!binary.path)
  console.warn(
    `[e2e electron] skipped: ${binary.reason}; the same flow runs in Chromium against emoheal serve`
  )

describe.skipIf(!binary.path)('Studies page in the Electron window', () => {
  it('creates a participant and a session, keeps them across a reload, and writes them to the study file', async () => {
    const studyPath = join(tempDir('emoheal-electron-'), 'lab.emoheal-study')
    const app = await electron.launch({
      executablePath: binary.path,
      args: [repoRoot, `--study=${studyPath}`, '--no-sandbox']
    })
    try {
      const page = await app.firstWindow()
      await addParticipantAndSession(page)
      await page.reload()
      await expectParticipantAndSessionShown(page)
    } finally {
      await app.close()
    }
    expectParticipantAndSessionStored(studyPath)
  })
})
