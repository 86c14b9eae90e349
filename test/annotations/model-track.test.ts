import { describe, expect, it } from 'vitest'
import type { ModelView, PredictionView } from '../../src-main/ipc/contract'
import {
  modelTrack,
  modelWindowMs,
  modelsWithPredictions,
  predictionsAt,
  probabilitySteps,
  shownModels,
  type PredictionWindow
} from '../../src-renderer/src/viewer/model-track'

function model(id: number, target: string, active: boolean, config: Record<string, unknown> = {}): ModelView {
  return {
    id,
    name: `m${id}`,
    directory: `/models/${id}`,
    preset: 'paper',
    target,
    config: { kind: 'paper', ...config },
    metrics: { windows: { windowMs: 5000 } },
    active,
    createdMs: id
  }
}

function row(modelId: number, target: string, windowEndMs: number, high: number): PredictionView {
  return { modelId, target, windowEndMs, probabilities: [1 - high, high] }
}

describe('model track', () => {
  const models = [
    model(1, 'arousal', true),
    model(2, 'arousal', false, { kind: 'native-rate', windowSeconds: 10 }),
    model(3, 'valence', true),
    model(4, 'valence', false)
  ]
  const origin = 1_000_000
  // Stored out of order, as a second predict run may append.
  const rows = [
    row(1, 'arousal', origin + 10_000, 0.8),
    row(1, 'arousal', origin + 5_000, 0.25),
    row(1, 'arousal', origin + 20_000, 0.6),
    row(2, 'arousal', origin + 10_000, 0.1),
    row(2, 'arousal', origin + 20_000, 0.9),
    row(3, 'valence', origin + 5_000, 0.4)
  ]

  it('reads the window length from the native config, the recorded windows, or 5 s', () => {
    expect(modelWindowMs(models[1])).toBe(10_000)
    expect(modelWindowMs({ config: { kind: 'paper' }, metrics: { windows: { windowMs: 8000 } } })).toBe(8000)
    expect(modelWindowMs({ config: {}, metrics: {} })).toBe(5000)
  })

  it('offers only models with stored rows and shows the active ones unless one is chosen', () => {
    expect(modelsWithPredictions(models, rows).map((m) => m.id)).toEqual([1, 2, 3])
    const active = shownModels(models, rows, null)
    expect([active.arousal?.id, active.valence?.id]).toEqual([1, 3])
    // A chosen arousal model replaces the active arousal one and keeps the active valence one.
    const chosen = shownModels(models, rows, 2)
    expect([chosen.arousal?.id, chosen.valence?.id]).toEqual([2, 3])
    // A model without rows for this session cannot be chosen; the active one stays.
    expect(shownModels(models, rows, 4).valence?.id).toBe(3)
    expect(shownModels(models, [], null)).toEqual({ arousal: null, valence: null })
  })

  it('spans each window back from its end by the model window, sorted, with the high-class probability', () => {
    const track = modelTrack(rows, shownModels(models, rows, null))
    expect(track.arousal).toEqual([
      { target: 'arousal', startMs: origin, endMs: origin + 5000, probability: 0.25 },
      { target: 'arousal', startMs: origin + 5000, endMs: origin + 10_000, probability: 0.8 },
      { target: 'arousal', startMs: origin + 15_000, endMs: origin + 20_000, probability: 0.6 }
    ])
    expect(track.valence).toHaveLength(1)
    const native = modelTrack(rows, shownModels(models, rows, 2)).arousal
    expect(native.map((w) => [w.startMs, w.endMs])).toEqual([
      [origin, origin + 10_000],
      [origin + 10_000, origin + 20_000]
    ])
  })

  it('draws flat steps per window and lifts the line over gaps', () => {
    const track = modelTrack(rows, shownModels(models, rows, null))
    expect(probabilitySteps(track.arousal, origin)).toEqual([
      [0, 0.25],
      [5000, 0.25],
      [5000, 0.8],
      [10_000, 0.8],
      [12_500, null],
      [15_000, 0.6],
      [20_000, 0.6]
    ])
  })

  it('starts an overlapping window where the previous ends so time never runs backwards', () => {
    const windows: PredictionWindow[] = [
      { target: 'arousal', startMs: 0, endMs: 5000, probability: 0.2 },
      { target: 'arousal', startMs: 2500, endMs: 7500, probability: 0.7 }
    ]
    const xs = probabilitySteps(windows, 0).map(([x]) => x)
    expect(xs).toEqual([0, 5000, 5000, 7500])
  })

  it('finds the window under a time in a long session', () => {
    // Two hours of 5 s windows, probabilities computed from the index.
    const many = Array.from({ length: 1440 }, (_, i) =>
      row(1, 'arousal', origin + (i + 1) * 5000, (i % 100) / 100)
    )
    const track = modelTrack(many, shownModels(models, many, null))
    const at = (i: number, offset: number) => predictionsAt(track, origin + i * 5000 + offset)
    expect(at(0, 0).arousal?.probability).toBe(0)
    expect(at(737, 4999).arousal?.probability).toBe(0.37)
    expect(at(738, 0).arousal?.probability).toBe(0.38)
    expect(at(1440, 0).arousal).toBeNull()
    expect(predictionsAt(track, origin - 1).arousal).toBeNull()
    expect(at(10, 0).valence).toBeNull()
    // With a gap, a time inside it finds no window.
    const gapped = modelTrack(rows, shownModels(models, rows, null))
    expect(predictionsAt(gapped, origin + 12_000).arousal).toBeNull()
    expect(predictionsAt(gapped, origin + 15_000).arousal?.probability).toBe(0.6)
  })
})
