import * as tf from '@tensorflow/tfjs'
import { describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import {
  buildModel,
  logitsModel,
  nativeRateInputShapes,
  parseModelConfig,
  type ModelConfig
} from '../../src-main/engine/model'
import { weightedCrossEntropy } from '../../src-main/engine/training/loss'
import { backendsPresent, type TestBackend } from './backends-present'
import { numbers } from './layers-reference'

// tfjs switches backends in one process (each keeps its own tensors), so no child processes are needed.
const { names: present } = await backendsPresent({ suite: 'backend parity' })
const compared = present.filter((name) => name === 'tensorflow' || name === 'wasm')
if (compared.length < 2)
  console.log(
    `[engine tests: backend parity] skipped: needs tensorflow and wasm, found ${compared.join(', ')}`
  )

const batch = 6

function inputShapes(config: ModelConfig): number[][] {
  return config.kind === 'paper'
    ? [[batch, config.steps, 5]]
    : nativeRateInputShapes(config).map((input) => [batch, ...input.shape])
}

/** Z-scored sensor windows are of unit scale; 2 gives some tails beyond it. */
function inputData(config: ModelConfig): Float32Array[] {
  return inputShapes(config).map(
    (shape, i) =>
      new Float32Array(
        numbers(
          shape.reduce((a, b) => a * b, 1),
          100 + i,
          2
        )
      )
  )
}

/** Trained-like weights: the N(0, 0.01) start gives near-constant outputs that would hide a difference. */
function referenceWeights(config: ModelConfig): { shape: number[]; data: Float32Array }[] {
  const model = buildModel(config, { seed: 11 })
  const weights = model.getWeights().map((weight, i) => ({
    shape: weight.shape,
    data: (weight.dataSync() as Float32Array).map(
      (value) => value * (config.kind === 'paper' && i % 2 === 0 ? 20 : 3)
    )
  }))
  model.dispose()
  return weights
}

interface Outcome {
  probabilities: Float32Array
  loss: number
  /** Per trainable weight; null where the loss does not reach it (the paper GRU runs one step from h0 = 0). */
  gradients: (Float32Array | null)[]
}

async function run(backend: TestBackend, config: ModelConfig, weights: ReturnType<typeof referenceWeights>) {
  await useBackend(backend)
  expect(tf.getBackend()).toBe(backend)
  const model = buildModel(config, { seed: 11 })
  model.setWeights(weights.map((weight) => tf.tensor(weight.data, weight.shape)))
  const shapes = inputShapes(config)
  const data = inputData(config)
  let outcome: Outcome | undefined
  tf.tidy(() => {
    const inputs = data.map((values, i) => tf.tensor(values, shapes[i]))
    const probabilities = (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array
    const labels = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 2),
      'int32'
    )
    const logits = logitsModel(model)
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
    const { value, grads } = tf.variableGrads(
      () =>
        weightedCrossEntropy(
          logits.apply(inputs, { training: false }) as tf.Tensor2D,
          labels,
          tf.tensor1d([1, 1])
        ),
      variables
    )
    outcome = {
      probabilities,
      loss: value.dataSync()[0],
      gradients: variables.map(
        (variable) => (grads[variable.name]?.dataSync() as Float32Array | undefined) ?? null
      )
    }
  })
  model.dispose()
  if (!outcome) throw new Error('no outcome')
  return outcome
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

describe.skipIf(compared.length < 2)('tensorflow and wasm agree', () => {
  for (const kind of ['paper', 'native-rate'] as const) {
    test(`${kind}: the same weights give the same probabilities and gradients`, async () => {
      const config = parseModelConfig({ kind })
      const weights = referenceWeights(config)
      const native = await run('tensorflow', config, weights)
      const wasm = await run('wasm', config, weights)
      const probabilityDifference = largestDifference(native.probabilities, wasm.probabilities)
      // The probabilities must vary between windows, or agreeing would prove little.
      const spread = Math.max(...wasm.probabilities) - Math.min(...wasm.probabilities)
      let gradientDifference = 0
      let gradientScale = 0
      expect(native.gradients.map((g) => g === null)).toEqual(wasm.gradients.map((g) => g === null))
      expect(native.gradients.filter((g) => g !== null).length).toBeGreaterThan(native.gradients.length / 2)
      native.gradients.forEach((gradient, i) => {
        const other = wasm.gradients[i]
        if (gradient === null || other === null) return
        gradientDifference = Math.max(gradientDifference, largestDifference(gradient, other))
        gradientScale = Math.max(gradientScale, ...Array.from(other, Math.abs))
      })
      console.log(
        `${kind}: probabilities differ by ${probabilityDifference.toExponential(2)} (spread ${spread.toFixed(
          3
        )}), gradients by ${gradientDifference.toExponential(2)} (scale ${gradientScale.toExponential(2)})`
      )
      expect(spread).toBeGreaterThan(0.05)
      expect(probabilityDifference).toBeLessThan(1e-4)
      expect(Math.abs(native.loss - wasm.loss)).toBeLessThan(1e-4)
      expect(gradientDifference).toBeLessThan(1e-4 * Math.max(1, gradientScale))
    })
  }

  test('a changed weight is seen: parity is not a constant output', async () => {
    const config = parseModelConfig({ kind: 'native-rate' })
    const weights = referenceWeights(config)
    const changed = weights.map((weight) => ({ shape: weight.shape, data: weight.data.slice() }))
    // The GRU's recurrent kernel: the last layers decide the probabilities most directly.
    const index = changed.findIndex((weight) => weight.shape.length === 3 && weight.shape[1] === 32)
    expect(index).toBeGreaterThanOrEqual(0)
    changed[index].data.forEach((value, i, data) => (data[i] = value * 1.5))
    const a = await run('wasm', config, weights)
    const b = await run('tensorflow', config, changed)
    expect(largestDifference(a.probabilities, b.probabilities)).toBeGreaterThan(1e-3)
  })
})
