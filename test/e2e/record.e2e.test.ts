import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MARKER_PRESETS } from '../../src-main/ipc/contract/record'
import { StudyStore } from '../../src-main/store/study-store'
import {
  browserUnavailableReason,
  openBrowser,
  screenshot,
  startServe,
  tempDir,
  type BrowserSession,
  type ServeProcess
} from './harness'

const reason = browserUnavailableReason()
if (reason) console.warn(`[e2e record] skipped: ${reason}`)

/** The simulated wristband's streams and rates (E4: BVP 64 Hz, EDA and temperature 4 Hz, acc 32 Hz, HR 1 Hz). */
const SIMULATED: Record<string, number> = { bvp: 64, eda: 4, temp: 4, acc: 32, hr: 1 }

interface SessionRow {
  id: number
  participant_id: number
  start_ms: number
  duration_ms: number | null
  recording_state: string | null
}
interface StreamRow {
  name: string
  rate_hz: number
  start_ms: number | null
  end_ms: number | null
  sample_count: number
  chunk_samples: number
}
interface MarkerRow {
  id: number
  time_ms: number
  label: string
}

describe.skipIf(reason !== null)('recording a session on the Record page', () => {
  const studyPath = join(tempDir('emoheal-e2e-record-'), 'record.emoheal-study')
  let participantId: number
  let serve: ServeProcess
  let browser: BrowserSession

  function query<T>(sql: string, ...params: unknown[]): T[] {
    const db = new Database(studyPath, { readonly: true })
    try {
      return db.prepare(sql).all(...params) as T[]
    } finally {
      db.close()
    }
  }

  beforeAll(async () => {
    // A fresh study with one participant and no model: the recording runs without predicting.
    const study = new StudyStore(studyPath, { create: true, name: 'Recording' })
    try {
      participantId = study.createParticipant({ code: 'R01', notes: '' }).id
    } finally {
      study.close()
    }
    serve = await startServe(studyPath)
    browser = await openBrowser()
    await browser.page.setViewportSize({ width: 1400, height: 1200 })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await serve?.stop()
  })

  it('records the simulated wristband with markers into the study and opens it in Annotate', async () => {
    const { page } = browser
    await page.goto(`${serve.url}#/record`)

    // The only participant is chosen; the simulated wristband, no model.
    await expect.poll(() => page.getByTestId('record-participant').inputValue()).not.toBe('')
    await page.getByTestId('device-0-protocol').selectOption('simulator')
    await page.getByTestId('record-model').selectOption('none')
    await expect(page.getByTestId('prediction-none').textContent()).resolves.toContain('still recorded')
    await page.getByTestId('record-session-name').fill('Simulated run')

    // Several devices: each protocol shows its own settings; a row can be removed again.
    for (let i = 0; i < 3; i++) await page.getByTestId('record-device-add').click()
    await page.getByTestId('device-1-protocol').selectOption('bitalino')
    await page.getByTestId('device-1-path').fill('/dev/rfcomm0')
    await page.getByTestId('device-1-bitalino-rate').selectOption('100')
    await page.getByTestId('device-1-bitalino-A3').uncheck()
    await expect(page.getByTestId('device-1-bitalino-A3-sensor').isDisabled()).resolves.toBe(true)
    await page.getByTestId('device-1-bitalino-A1-sensor').selectOption('eda')
    await page.getByTestId('device-2-protocol').selectOption('shimmer3')
    await page.getByTestId('device-2-path').fill('/dev/rfcomm1')
    await page.getByTestId('device-2-shimmer3-ppg').uncheck()
    await page.getByTestId('device-3-protocol').selectOption('lines')
    await page.getByTestId('device-3-lines-stream').fill('eda')
    await page.getByTestId('device-3-lines-unit').fill('uS')
    await page.getByTestId('device-3-path').fill('/dev/pts/nonexistent-emoheal')
    await screenshot(page, 'record-setup-devices')

    // A device that cannot be opened: the start fails, says which, and records nothing.
    await page.getByTestId('device-1-remove').click()
    await page.getByTestId('device-1-remove').click()
    await expect(page.getByTestId('device-1-protocol').inputValue()).resolves.toBe('lines')
    await page.getByTestId('record-start').click()
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('nonexistent-emoheal')
    await expect(page.getByTestId('record-state').textContent()).resolves.toContain('idle')
    expect(query('SELECT id FROM session')).toEqual([])
    await page.getByTestId('device-1-remove').click()
    await expect(page.getByTestId('device-1').count()).resolves.toBe(0)
    await expect(page.getByTestId('device-0-protocol').inputValue()).resolves.toBe('simulator')
    await screenshot(page, 'record-setup')

    await page.getByTestId('record-start').click()
    await expect.poll(() => page.getByTestId('record-state').textContent()).toContain('recording R01')
    // The failed try's error is cleared once recording runs.
    await expect(page.getByTestId('notice').count()).resolves.toBe(0)
    // The device streams and every stream's plot fills.
    await expect
      .poll(() => page.getByTestId('record-device-0').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('streaming')
    await expect(page.getByTestId('record-device-0-state').textContent()).resolves.toContain('streaming')
    const points = async (name: string) =>
      Number(await page.getByTestId(`record-chart-${name}`).getAttribute('data-points'))
    for (const name of Object.keys(SIMULATED))
      await expect.poll(() => points(name), { timeout: 5000 }).toBeGreaterThan(0)
    // No model: the page says so plainly and goes on recording.
    await expect(page.getByTestId('prediction-none').textContent()).resolves.toContain(
      'No model is predicting'
    )

    // Hotkey 3 on the page puts the third preset.
    const hotkeyFrom = Date.now()
    await page.locator('h1').click()
    await page.keyboard.press('3')
    const hotkeyTo = Date.now()
    const rows = page.getByTestId('record-marker-row')
    await expect.poll(() => rows.count()).toBe(1)
    await expect(rows.first().getAttribute('data-label')).resolves.toBe(DEFAULT_MARKER_PRESETS[2])

    // A typed marker; the 3 typed in the field is text, not a hotkey. Its time is the first keystroke's.
    const typedFrom = Date.now()
    await page.getByTestId('record-marker-text').pressSequentially('participant laughed 3', { delay: 20 })
    await page.getByTestId('record-marker-typed-at').waitFor()
    await page.getByTestId('record-marker-text').press('Enter')
    const typedTo = Date.now()
    await expect.poll(() => rows.count()).toBe(2)
    await expect(page.getByTestId('record-marker-text').inputValue()).resolves.toBe('')

    // About three more seconds of signal; the counters grow as samples are committed.
    await page.waitForTimeout(3000)
    const storedInUi = async (name: string) =>
      Number(await page.getByTestId(`record-device-0-stream-${name}`).getAttribute('data-stored'))
    await expect.poll(() => storedInUi('bvp'), { timeout: 5000 }).toBeGreaterThan(64)
    expect(Number(await page.getByTestId('record-elapsed').getAttribute('data-elapsed-ms'))).toBeGreaterThan(
      3000
    )
    await screenshot(page, 'record-running')

    await page.getByTestId('record-stop').click()
    await expect.poll(() => page.getByTestId('record-state').textContent()).toContain('stopped')
    const open = page.getByTestId('record-open-annotate')
    await open.waitFor()
    const sessionId = Number(await open.getAttribute('data-session-id'))
    await expect(page.getByTestId('record-device-0').getAttribute('data-state')).resolves.toBe('stopped')
    await screenshot(page, 'record-stopped')

    // The study file, read directly: one complete session of the participant.
    const sessions = query<SessionRow>(
      'SELECT id, participant_id, start_ms, duration_ms, recording_state FROM session'
    )
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expect(session).toMatchObject({
      id: sessionId,
      participant_id: participantId,
      recording_state: 'complete'
    })
    const durationMs = session.duration_ms!
    expect(durationMs).toBeGreaterThan(4000)
    expect(durationMs).toBeLessThan(30_000)
    const sessionEnd = session.start_ms + durationMs

    // Every simulated stream, its samples covering the recorded seconds at its rate; chunks add up.
    const streams = query<StreamRow>(
      `SELECT s.name, s.rate_hz, s.start_ms, s.end_ms, s.sample_count,
              (SELECT COALESCE(SUM(c.sample_count), 0) FROM chunk c WHERE c.stream_id = s.id) AS chunk_samples
       FROM stream s WHERE s.session_id = ? ORDER BY s.name`,
      sessionId
    )
    expect(streams.map((stream) => stream.name)).toEqual(Object.keys(SIMULATED).sort())
    for (const stream of streams) {
      const rate = SIMULATED[stream.name]
      expect(stream.rate_hz, stream.name).toBe(rate)
      expect(stream.chunk_samples, stream.name).toBe(stream.sample_count)
      const expected = (durationMs / 1000) * rate
      expect(stream.sample_count, stream.name).toBeGreaterThanOrEqual(Math.floor(expected * 0.85) - 1)
      expect(stream.sample_count, stream.name).toBeLessThanOrEqual(Math.ceil(expected * 1.1) + 1)
      // The first sample within a second of the start, the last within two samples of the end.
      expect(stream.start_ms!, stream.name).toBeGreaterThanOrEqual(session.start_ms - 1000)
      expect(stream.start_ms!, stream.name).toBeLessThanOrEqual(session.start_ms + 1000)
      expect(stream.end_ms!, stream.name).toBeGreaterThanOrEqual(sessionEnd - 1000 - 2000 / rate)
      expect(stream.end_ms!, stream.name).toBeLessThanOrEqual(sessionEnd + 1000)
      // What the page said it stored is what the file holds.
      expect(await storedInUi(stream.name), stream.name).toBe(stream.sample_count)
    }

    // The two markers, at the times they were put.
    const markers = query<MarkerRow>(
      'SELECT id, time_ms, label FROM marker WHERE session_id = ? ORDER BY time_ms',
      sessionId
    )
    expect(markers.map((marker) => marker.label)).toEqual([
      DEFAULT_MARKER_PRESETS[2],
      'participant laughed 3'
    ])
    const [hotkey, typed] = markers
    // Stamped when the key went down (the event's own time), not when a busy page or host got to it.
    expect(hotkey.time_ms).toBeGreaterThanOrEqual(hotkeyFrom - 50)
    expect(hotkey.time_ms).toBeLessThanOrEqual(hotkeyTo + 300)
    expect(typed.time_ms).toBeGreaterThanOrEqual(typedFrom - 50)
    expect(typed.time_ms).toBeLessThanOrEqual(typedFrom + 1000)
    expect(typed.time_ms).toBeLessThan(typedTo)
    for (const marker of markers) {
      expect(marker.time_ms).toBeGreaterThanOrEqual(session.start_ms)
      expect(marker.time_ms).toBeLessThanOrEqual(sessionEnd)
    }
    // No model, so nothing was predicted.
    expect(query<{ n: number }>('SELECT COUNT(*) AS n FROM prediction')[0].n).toBe(0)

    // Annotate opens the new session: its whole span, its streams and its markers.
    await open.click()
    await expect.poll(() => page.url()).toContain(`#/annotate?session=${sessionId}`)
    const panels = page.getByTestId('signal-panels')
    await panels.waitFor()
    await expect
      .poll(async () => Number(await panels.getAttribute('data-to-ms')), { timeout: 10_000 })
      .toBeGreaterThan(0)
    const span =
      Number(await panels.getAttribute('data-to-ms')) - Number(await panels.getAttribute('data-from-ms'))
    expect(span).toBeGreaterThan(durationMs * 0.8)
    expect(span).toBeLessThan(durationMs * 1.5)
    await expect(page.getByTestId('session-select').inputValue()).resolves.toBe(String(sessionId))
    for (const marker of markers) await page.getByTestId(`marker-${marker.id}`).waitFor()
    const overlay = (await page.getByTestId('viewer-overlay').boundingBox())!
    await page.mouse.move(overlay.x + overlay.width / 2, overlay.y + 40)
    const readout = page.getByTestId('readout')
    for (const name of Object.keys(SIMULATED))
      // The readout's parts are separate spans: "… bvp -13.2eda 2.85 …" as text; each shows a value.
      await expect.poll(() => readout.textContent()).toMatch(new RegExp(`${name} -?\\d`))
    await screenshot(page, 'record-annotate')
    expect(browser.errors).toEqual([])
  }, 90_000)
})
