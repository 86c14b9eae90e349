import { afterAll, describe, expect, it } from 'vitest'
import { LogisticRegression, windowFeatures } from '../../src-main/engine/evaluation/baselines'
import { Random } from '../../src-main/engine/training/random'
import { extractWindows } from '../../src-main/engine/windows/extract'
import { WINDOW_FEATURES } from '../../src-main/ipc/contract/labels'
import { sessionWindowFeatures } from '../../src-main/signal/session-features'
import { createPlantedStudy } from './planted-study'

describe('the logistic baseline reads physiological window features', () => {
  const planted = createPlantedStudy({ participants: ['1', '2'], windowsPerParticipant: 12 })
  afterAll(() => planted.close())

  it('extractWindows carries the features the Labels table shows for the same span, for both presets', () => {
    for (const preset of ['paper', 'native'] as const) {
      const set = extractWindows(planted.study, { preset })
      expect(set.windows.length).toBeGreaterThan(0)
      for (const sessionId of new Set(set.windows.map((w) => w.sessionId))) {
        const windows = set.windows.filter((w) => w.sessionId === sessionId)
        const spans = windows.map((w) => ({ startMs: w.endMs - set.windowMs, endMs: w.endMs }))
        const { features } = sessionWindowFeatures(planted.study, sessionId, spans)
        windows.forEach((window, i) => {
          expect(window.physiology).toEqual(WINDOW_FEATURES.map((f) => features[i][f.key]))
          expect(windowFeatures(window)).toEqual(WINDOW_FEATURES.map((f) => features[i][f.key] ?? NaN))
        })
      }
      // The planted study's BVP is a 0.9-s sine: a heart rate in every window, never a NaN pretending to be one.
      for (const window of set.windows) {
        const hr = window.physiology![WINDOW_FEATURES.findIndex((f) => f.key === 'hrMean')]
        expect(hr).toBeCloseTo(60 / 0.9, 0)
      }
    }
  })

  it('refuses a window without features instead of training on nothing', () => {
    expect(() =>
      windowFeatures({ sessionId: 3, participant: 'P', endMs: 99, rating: 1, label: 0, inputs: [] })
    ).toThrow(/window ending at 99 of session 3 has no physiological features/)
  })

  it('imputes a missing feature with its training mean; a feature never present carries no weight', () => {
    const random = new Random(5)
    const rows = Array.from({ length: 200 }, () => [random.normal(), random.normal(), NaN])
    const labels = rows.map((r) => (r[0] + 0.5 * r[1] > 0 ? 1 : 0))
    // A quarter of the second feature missing.
    rows.forEach((r, i) => {
      if (i % 4 === 0) r[1] = NaN
    })
    const model = new LogisticRegression().fit(rows.slice(0, 150), labels.slice(0, 150))
    const probabilities = model.predictProbabilities(rows.slice(150))
    for (const p of probabilities) for (const v of p) expect(Number.isFinite(v)).toBe(true)
    const accuracy =
      probabilities.filter((p, i) => (p[1] > 0.5 ? 1 : 0) === labels[150 + i]).length / probabilities.length
    expect(accuracy).toBeGreaterThan(0.8)
  })
})
