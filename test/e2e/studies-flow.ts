import Database from 'better-sqlite3'
import { expect } from 'vitest'
import type { Page } from 'playwright-core'

/** The Studies flow both hosts (browser + serve, Electron) must pass: add a participant and a session through the UI. */
export async function addParticipantAndSession(page: Page): Promise<void> {
  await page.getByTestId('participant-code').fill('P07')
  await page.getByTestId('participant-notes').fill('left-handed')
  await page.getByTestId('participant-add').click()
  await page.getByTestId('participant-P07').waitFor()
  await page.getByTestId('session-name').fill('Debate 1')
  await page.getByTestId('session-start').fill('2026-03-04T09:30:15')
  await page.getByTestId('session-timezone').fill('Asia/Seoul')
  await page.getByTestId('session-add').click()
  await page.getByTestId('session-Debate 1').waitFor()
}

export async function expectParticipantAndSessionShown(page: Page): Promise<void> {
  await page.getByTestId('participant-P07').waitFor()
  await expect(page.getByTestId('session-Debate 1').textContent()).resolves.toContain('2026-03-04 09:30:15')
}

/** Reads the study file directly, beside the app, as a lab's own script would. */
export function expectParticipantAndSessionStored(studyPath: string): void {
  const db = new Database(studyPath, { readonly: true })
  try {
    expect(db.prepare('SELECT code, notes FROM participant').all()).toEqual([
      { code: 'P07', notes: 'left-handed' }
    ])
    // 09:30:15 in Seoul (UTC+9) is 00:30:15 UTC.
    expect(db.prepare('SELECT name, start_ms, timezone FROM session').get()).toEqual({
      name: 'Debate 1',
      start_ms: Date.UTC(2026, 2, 4, 0, 30, 15),
      timezone: 'Asia/Seoul'
    })
  } finally {
    db.close()
  }
}
