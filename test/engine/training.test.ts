import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CancelledError } from '../../src-main/errors'
import { buildModel } from '../../src-main/engine/model/build-model'
import { evaluate } from '../../src-main/engine/evaluation/evaluate'
import { runFold, type TrainingSettings } from '../../src-main/engine/evaluation/fold-runner'
import { losoFolds } from '../../src-main/engine/evaluation/protocols'
import { resolveRun } from '../../src-main/engine/runs/run-training'
import { trainRequestSchema } from '../../src-main/ipc/contract/engine'
import { EarlyStopping, PlateauSchedule } from '../../src-main/engine/training/schedule'
import { windowTensors, disposeWindowTensors } from '../../src-main/engine/training/tensors'
import { paperTrainingOptions, trainModel } from '../../src-main/engine/training/train-loop'
import { extractWindows } from '../../src-main/engine/windows/extract'
import type { WindowSet } from '../../src-main/engine/windows/types'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

const tinyPaper = { kind: 'paper' as const, filters: 8, fusionUnits: 16, gruUnits: 8, gruLayers: 1 }
const sensors = [
  { name: 'eda', rateHz: 4, channels: 1 },
  { name: 'hr', rateHz: 1, channels: 1 }
]

function settings(overrides: Partial<TrainingSettings> = {}): TrainingSettings {
  return {
    modelConfig: tinyPaper,
    training: { ...paperTrainingOptions, epochs: 12, learningRate: 5e-3 },
    classWeighting: 'none',
    normalize: true,
    augment: { jitter: 0.01 },
    validationFraction: 0.2,
    ensemble: 1,
    seed: 1,
    ...overrides
  }
}

describe('training', () => {
  let planted: PlantedStudy
  let paper: WindowSet
  beforeAll(async () => {
    await tf.setBackend('wasm')
    planted = createPlantedStudy({ participants: ['1', '2', '3', '4'], windowsPerParticipant: 24 })
    paper = extractWindows(planted.study, { preset: 'paper' })
  })
  afterAll(() => planted.close())

  it('gives the same result for the same seed, and another for another seed', async () => {
    const fold = losoFolds(paper.windows)[0]
    const task = (seed: number) => ({
      index: 0,
      name: fold.name,
      testParticipants: fold.testParticipants,
      shapes: paper.inputs,
      train: fold.train.map((i) => paper.windows[i]),
      test: fold.test.map((i) => paper.windows[i]),
      settings: settings({ seed, training: { ...paperTrainingOptions, epochs: 2, learningRate: 5e-3 } })
    })
    const first = await runFold(task(5))
    const again = await runFold(task(5))
    const other = await runFold(task(6))
    expect(again.probabilities).toEqual(first.probabilities)
    expect(again.members[0].finalLoss).toBe(first.members[0].finalLoss)
    expect(other.probabilities).not.toEqual(first.probabilities)
  })

  it('applies weight decay PyTorch-style: a huge decay makes Adam step every weight toward zero by the learning rate', async () => {
    const model = buildModel(tinyPaper, { seed: 3 })
    const before = model.getWeights().map((w) => w.dataSync().slice())
    const data = windowTensors(paper.windows, paper.inputs)
    const learningRate = 1e-3
    await trainModel(model, data, null, {
      ...paperTrainingOptions,
      epochs: 1,
      batchSize: paper.windows.length,
      learningRate,
      weightDecay: 1e4,
      plateau: null
    })
    disposeWindowTensors(data)
    let checked = 0
    model.getWeights().forEach((w, i) => {
      const after = w.dataSync()
      before[i].forEach((value, j) => {
        if (Math.abs(value) < 1e-3) return
        checked++
        expect(after[j]).toBeCloseTo(value - learningRate * Math.sign(value), 6)
      })
    })
    expect(checked).toBeGreaterThan(1000)
    model.dispose()
  })

  it('stops at once when cancelled mid-epoch', async () => {
    const model = buildModel(tinyPaper, { seed: 1 })
    const data = windowTensors(paper.windows, paper.inputs)
    const controller = new AbortController()
    let batches = 0
    const training = trainModel(
      model,
      data,
      null,
      { ...paperTrainingOptions, epochs: 50, batchSize: 8 },
      {
        signal: controller.signal,
        onProgress: () => {
          batches++
          controller.abort()
        }
      }
    )
    await expect(training).rejects.toBeInstanceOf(CancelledError)
    expect(batches).toBe(1)
    disposeWindowTensors(data)
    model.dispose()
  })

  it('reduces the learning rate on a plateau and stops early after the patience', () => {
    const schedule = new PlateauSchedule(0.5, 2)
    const rates = [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9].reduce<number[]>(
      (out, loss) => [...out, schedule.step(loss, out.at(-1) ?? 1)],
      []
    )
    expect(rates).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5])
    const stopping = new EarlyStopping(3)
    const stops = [5, 4, 4.5, 4.2, 4.1].map(
      (loss, epoch) => (stopping.record(epoch, loss), stopping.shouldStop)
    )
    expect(stops).toEqual([false, false, false, false, true])
    expect(stopping.bestEpoch).toBe(1)
  })

  it('a short native-rate LOSO run beats the majority baseline on the planted signal', async () => {
    const set = extractWindows(planted.study, { preset: 'native', sensors })
    const result = await evaluate(set, {
      protocol: 'loso',
      jobs: 1,
      backend: 'wasm',
      seed: 1,
      settings: settings({
        modelConfig: { kind: 'native-rate', sensors, filters: 8, dilations: [1, 2], gruUnits: 8 },
        classWeighting: 'balanced',
        augment: null
      })
    })
    expect(result.folds).toHaveLength(4)
    expect(result.pooled.model.count).toBe(set.windows.length)
    console.info(
      `native LOSO: accuracy ${result.pooled.model.accuracy.toFixed(3)}, majority ${result.pooled.majority.accuracy.toFixed(3)}, logistic ${result.pooled.logistic.accuracy.toFixed(3)}`
    )
    expect(result.pooled.model.accuracy).toBeGreaterThan(result.pooled.majority.accuracy + 0.1)
    expect(result.pooled.model.auc).toBeGreaterThan(0.75)
  })

  it('a short --preset paper run beats the majority baseline on the planted signal', async () => {
    const resolved = resolveRun(
      trainRequestSchema.parse({
        preset: 'paper',
        epochs: 12,
        learningRate: 5e-3,
        ensemble: 2,
        normalize: true,
        seed: 2,
        model: { filters: 8, fusionUnits: 16, gruUnits: 8, gruLayers: 1 }
      })
    )
    // The paper's training rules stay as published unless asked otherwise.
    expect(resolved.settings.training).toMatchObject({
      batchSize: 32,
      weightDecay: 1e-4,
      earlyStoppingPatience: 10,
      plateau: { factor: 0.5, patience: 5 },
      restoreBest: false
    })
    expect(resolved.settings.augment).toEqual({ jitter: 0.01, copies: 1 })
    expect(resolved.protocol).toBe('groups')
    const result = await evaluate(paper, {
      protocol: 'groups',
      groups: 'auto',
      jobs: 1,
      backend: 'wasm',
      seed: 2,
      settings: resolved.settings
    })
    expect(result.groups).toHaveLength(4)
    expect(result.folds.every((fold) => fold.members.length === 2)).toBe(true)
    console.info(
      `paper groups: mean accuracy ${result.mean.accuracy.mean.toFixed(3)}, majority ${result.mean.majorityAccuracy.mean.toFixed(3)}`
    )
    expect(result.pooled.model.accuracy).toBeGreaterThan(result.pooled.majority.accuracy + 0.1)
    // 8 models trained on wasm: well under a minute alone, up to twice that on a loaded 2-core machine.
  }, 150_000)
})
