import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFold } from '../../src-main/engine/evaluation/fold-runner'
import { paperTrainingOptions } from '../../src-main/engine/training/train-loop'
import { importDataset } from '../../src-main/datasets/import-service'
import { defaultSensors } from '../../src-main/engine/model/config'
import { extractWindows } from '../../src-main/engine/windows/extract'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { SignalStore } from '../../src-main/store/signal-store'
import { FIXTURES, newStudy } from '../datasets/study-helpers'

/** np.interp(np.linspace(0, n-1, k), arange(n), x), written out independently of the engine. */
function numpyLinspaceResample(values: number[], points: number): number[] {
  const out: number[] = []
  for (let k = 0; k < points; k++) {
    const x = (k / (points - 1)) * (values.length - 1)
    const i = Math.min(values.length - 2, Math.floor(x))
    out.push(values[i] + (values[i + 1] - values[i]) * (x - i))
  }
  return out
}

const DAY = join(
  FIXTURES,
  'embraceplus',
  'bucket',
  '1',
  '1',
  'participant_data',
  '2025-07-14',
  'P01-3YK0000001'
)

/** The fixture day as one session, rated every 5 s over its first file and a few times during the pause. */
function ratedEmbracePlusStudy() {
  const study = newStudy()
  importDataset(study, { kind: 'embraceplus', path: DAY, participant: 'P01', oneSession: true })
  const session = study.listSessions()[0]
  const bvp = session.streams.find((s) => s.name === 'bvp')!
  const startMs = bvp.startMs!
  const ends = [
    ...Array.from({ length: 20 }, (_, k) => startMs + 10_000 + 5000 * k),
    // On the charger: no signal at all.
    ...[500_000, 505_000].map((offset) => startMs + offset)
  ]
  new AnnotationStore(study.db).insertAnnotations(
    session.id,
    ends.map((endMs, k) => ({
      source: 'self',
      rater: '',
      startMs: endMs - 5000,
      endMs,
      arousal: 1 + (k % 5),
      valence: 3,
      emotions: {}
    }))
  )
  return { study, session, ends }
}

describe('windows of an EmbracePlus session', () => {
  it('paper preset: heart rate from the systolic peaks, TEMP at its 1 Hz, ACC read at the E4 scale', () => {
    const { study, session, ends } = ratedEmbracePlusStudy()
    const set = extractWindows(study, { preset: 'paper', labelSource: 'self' })
    expect(set.windows).toHaveLength(20)
    expect(set.dropped.missingSignal + set.dropped.gapped).toBe(ends.length - 20)
    const signals = new SignalStore(study.db)
    const window = set.windows[3]
    const read = (name: string) =>
      signals.read(session.streams.find((s) => s.name === name)!.id, window.endMs - 5000, window.endMs)
    const column = (c: number) => Array.from({ length: 20 }, (_, k) => window.inputs[0][k * 5 + c])
    const beats = Array.from(read('ibi').samples, (seconds) => 60 / seconds)
    expect(beats.length).toBeGreaterThanOrEqual(5)
    column(0).forEach((v, k) => expect(v).toBeCloseTo(numpyLinspaceResample(beats, 20)[k], 3))
    const temp = Array.from(read('temp').samples)
    expect(temp).toHaveLength(5)
    column(2).forEach((v, k) => expect(v).toBeCloseTo(numpyLinspaceResample(temp, 20)[k], 4))
    // 1 g at rest on the z axis is 64 in the E4's 1/64 g.
    for (const magnitude of column(4)) {
      expect(magnitude).toBeGreaterThan(62)
      expect(magnitude).toBeLessThan(68)
    }
    study.close()
  })

  it('native preset: every sensor on its grid (TEMP interpolated from 1 Hz to the model rate)', () => {
    const { study } = ratedEmbracePlusStudy()
    const set = extractWindows(study, { preset: 'native', labelSource: 'self', sensors: defaultSensors })
    expect(set.windows).toHaveLength(20)
    const temp = defaultSensors.findIndex((sensor) => sensor.name === 'temp')
    expect(set.windows[0].inputs[temp]).toHaveLength(defaultSensors[temp].rateHz * 5)
    expect(set.windows[0].inputs[temp].every((value) => value > 32 && value < 35)).toBe(true)
    study.close()
  })

  it('a paper model trains on them and predicts them', async () => {
    await tf.setBackend('wasm')
    const { study } = ratedEmbracePlusStudy()
    const set = extractWindows(study, { preset: 'paper', labelSource: 'self' })
    const result = await runFold({
      index: 0,
      name: 'embraceplus',
      testParticipants: ['P01'],
      shapes: set.inputs,
      train: set.windows.filter((_, i) => i % 2 === 0),
      test: set.windows.filter((_, i) => i % 2 === 1),
      settings: {
        modelConfig: { kind: 'paper', filters: 8, fusionUnits: 16, gruUnits: 8, gruLayers: 1 },
        training: { ...paperTrainingOptions, epochs: 2, learningRate: 5e-3 },
        classWeighting: 'none',
        normalize: true,
        augment: {},
        validationFraction: 0,
        ensemble: 1,
        seed: 1
      }
    })
    expect(result.probabilities).toHaveLength(10)
    for (const row of result.probabilities) {
      expect(row.every(Number.isFinite)).toBe(true)
      expect(row[0] + row[1]).toBeCloseTo(1, 5)
    }
    expect(Number.isFinite(result.members[0].finalLoss)).toBe(true)
    study.close()
  })
})
