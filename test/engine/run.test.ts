import * as tf from '@tensorflow/tfjs'
import { bundleEntry } from '../support/bundled-cli'
import '@tensorflow/tfjs-backend-wasm'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate } from '../../src-main/engine/evaluation/evaluate'
import { reviewOf } from '../../src-main/engine/registry/model-registry'
import { RunService } from '../../src-main/engine/runs/run-service'
import { predictSession } from '../../src-main/engine/inference/session-inference'
import { paperTrainingOptions } from '../../src-main/engine/training/train-loop'
import { extractWindows } from '../../src-main/engine/windows/extract'
import { trainRequestSchema, type TrainProgress } from '../../src-main/ipc/contract/engine'
import { ModelStore } from '../../src-main/store/model-store'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

const repoRoot = resolve(__dirname, '..', '..')
// The worker entry bundled as the app's build does, into node_modules so that its externals resolve.
const workerPath = join(repoRoot, 'node_modules', '.cache', 'emoheal-test', 'train-worker.js')
const tiny = { filters: 8, fusionUnits: 16, gruUnits: 8, gruLayers: 1 }

describe('training runs in worker threads', () => {
  let planted: PlantedStudy
  const events: TrainProgress[] = []
  let service: RunService

  beforeAll(async () => {
    await tf.setBackend('wasm')
    await bundleEntry('src-main/engine/runs/train-worker.ts', workerPath)
    planted = createPlantedStudy({ participants: ['1', '2', '3', '4'], windowsPerParticipant: 20 })
    service = new RunService({
      study: () => planted.study,
      emit: (progress) => events.push(progress),
      workerPath: () => workerPath
    })
  })
  afterAll(async () => {
    await service.stopAll()
    planted.close()
  })

  const request = (overrides: Record<string, unknown>) =>
    trainRequestSchema.parse({
      preset: 'paper',
      protocol: 'loso',
      epochs: 3,
      ensemble: 1,
      learningRate: 5e-3,
      normalize: true,
      seed: 4,
      backend: 'wasm',
      model: tiny,
      modelDirectory: join(planted.dir, 'models', 'first'),
      ...overrides
    })

  it('runs, streams progress, records the run and registers the saved model', async () => {
    const { runId } = service.start(request({}))
    expect(new ModelStore(planted.study.db).getRun(runId).status).toBe('running')
    const run = await service.wait(runId)
    expect(run.status).toBe('done')
    const results = run.results as {
      evaluation: { folds: unknown[]; pooled: { majority: { accuracy: number } } }
      parameterCount: number
      preset: string
      backend: { name: string }
    }
    expect(results.evaluation.folds).toHaveLength(4)
    expect(results.preset).toBe('paper')
    expect(results.backend.name).toBe('wasm')
    expect(results.parameterCount).toBeGreaterThan(1000)
    const mine = events.filter((e) => e.runId === runId)
    expect(mine.some((e) => e.phase === 'fold' && e.epochDone && e.loss !== null)).toBe(true)
    expect(mine.at(-1)?.phase).toBe('done')
    const models = new ModelStore(planted.study.db).listModels()
    expect(models).toHaveLength(1)
    expect(run.modelId).toBe(models[0].id)
    expect(existsSync(join(models[0].directory, 'manifest.json'))).toBe(true)
  })

  it('predicts a recorded session with the saved model and stores one row per window', async () => {
    const store = new ModelStore(planted.study.db)
    const model = store.activateModel(store.listModels()[0].id)
    const session = planted.study.listSessions()[1]
    const result = await predictSession(planted.study, model.directory, session.id, model.id)
    expect(result.windows).toBe(planted.ratings.get(session.id)!.length)
    const stored = store.listPredictions(session.id, model.id)
    expect(stored.map((p) => p.windowEndMs)).toEqual(result.predictions.map((p) => p.windowEndMs))
    for (const row of stored) expect(row.probabilities[0] + row.probabilities[1]).toBeCloseTo(1, 5)
    // Label review lists only out-of-fold disagreements, most confident first.
    const review = reviewOf(store, undefined, 0.5, 1000)
    for (const item of review) expect(item.predicted).not.toBe(item.label)
    expect(review.map((i) => i.confidence)).toEqual(
      [...review.map((i) => i.confidence)].sort((a, b) => b - a)
    )
  })

  it('cancels a run at once and leaves the registry and the active model as they were', async () => {
    const store = new ModelStore(planted.study.db)
    const before = store.listModels()
    const folder = join(planted.dir, 'models')
    const filesBefore = readdirSync(folder)
    const { runId } = service.start(request({ epochs: 500, modelDirectory: join(folder, 'second') }))
    const started = Date.now()
    await new Promise<void>((resolvePromise) => {
      const timer = setInterval(() => {
        if (events.some((e) => e.runId === runId && e.phase === 'fold')) {
          clearInterval(timer)
          service.cancel(runId)
          resolvePromise()
        }
      }, 20)
    })
    const run = await service.wait(runId)
    expect(run.status).toBe('cancelled')
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(store.listModels()).toEqual(before)
    expect(store.activeModel('arousal')?.id).toBe(before[0].id)
    expect(readdirSync(folder)).toEqual(filesBefore)
    expect(events.filter((e) => e.runId === runId).at(-1)?.phase).toBe('cancelled')
  })

  it('--jobs 2 trains folds in two workers with the same results as one thread', async () => {
    const set = extractWindows(planted.study, { preset: 'paper' })
    const settings = {
      modelConfig: { kind: 'paper' as const, ...tiny },
      training: { ...paperTrainingOptions, epochs: 2, learningRate: 5e-3 },
      classWeighting: 'none' as const,
      normalize: true,
      augment: null,
      validationFraction: 0.2,
      ensemble: 1,
      seed: 9
    }
    const one = await evaluate(set, { protocol: 'loso', jobs: 1, backend: 'wasm', settings })
    const two = await evaluate(set, { protocol: 'loso', jobs: 2, backend: 'wasm', settings, workerPath })
    expect(two.folds.map((f) => f.name)).toEqual(one.folds.map((f) => f.name))
    two.outOfFold.forEach((p, i) =>
      p.probabilities.forEach((v, c) => expect(v).toBeCloseTo(one.outOfFold[i].probabilities[c], 5))
    )
  })
})
