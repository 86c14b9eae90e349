import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { runFold, type TrainingSettings } from '../../src-main/engine/evaluation/fold-runner'
import { losoFolds } from '../../src-main/engine/evaluation/protocols'
import { executionPolicyFor, type ExecutionPolicy } from '../../src-main/engine/runtime/execution-policy'
import { paperTrainingOptions } from '../../src-main/engine/training/train-loop'
import { extractWindows } from '../../src-main/engine/windows/extract'
import type { WindowSet } from '../../src-main/engine/windows/types'
import { backendsPresent } from './backends-present'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

const settings: TrainingSettings = {
  modelConfig: { kind: 'paper', filters: 8, fusionUnits: 16, gruUnits: 8, gruLayers: 1 },
  training: { ...paperTrainingOptions, epochs: 2, learningRate: 5e-3 },
  classWeighting: 'none',
  normalize: true,
  augment: { jitter: 0 },
  validationFraction: 0.2,
  ensemble: 1,
  seed: 4
}

const present = await backendsPresent({ suite: 'execution policy' })
const nativeBackendPresent = present.names.includes('tensorflow')
if (!nativeBackendPresent)
  console.log(
    '[execution policy] skipped: native TensorFlow is not set up here, so there is one executor only'
  )

describe.skipIf(!nativeBackendPresent)('the execution policy handed to a run reaches its layers', () => {
  let planted: PlantedStudy
  let paper: WindowSet
  beforeAll(async () => {
    await useBackend('tensorflow')
    planted = createPlantedStudy({ participants: ['1', '2', '3'], windowsPerParticipant: 16 })
    paper = extractWindows(planted.study, { preset: 'paper' })
  })
  afterAll(() => planted?.close())

  it('trains through the executor it names, to the same model', async () => {
    const fold = losoFolds(paper.windows)[0]
    const task = {
      index: 0,
      name: fold.name,
      testParticipants: fold.testParticipants,
      shapes: paper.inputs,
      train: fold.train.map((i) => paper.windows[i]),
      test: fold.test.map((i) => paper.windows[i]),
      settings
    }
    const run = async (policy: ExecutionPolicy) => {
      let result: Awaited<ReturnType<typeof runFold>> | undefined
      const info = await tf.profile(async () => {
        result = await runFold(task, { policy })
      })
      return { result: result!, kernels: info.kernels.length }
    }
    const graph = await run(executionPolicyFor('tensorflow'))
    const opByOp = await run({ backend: 'tensorflow', executor: 'tfjs' })
    // The same passes, run as TensorFlow functions or as one tfjs op each: the same model, many more kernels.
    expect(opByOp.kernels).toBeGreaterThan(graph.kernels * 1.5)
    graph.result.probabilities.forEach((row, i) =>
      row.forEach((p, k) => expect(Math.abs(p - opByOp.result.probabilities[i][k])).toBeLessThan(1e-3))
    )
  }, 120_000)
})
