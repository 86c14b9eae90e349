import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { executionPolicyFor } from '../../src-main/engine/runtime/execution-policy'
import type { PassExecutor } from '../../src-main/engine/executors/run-pass'
import { ChannelSpatialAttention } from '../../src-main/engine/layers'
import { attentionHiddenUnits } from '../../src-main/engine/layers/attention-weights'
import { backendsPresent, executorRuns } from './backends-present'
import { numbers } from './layers-reference'
import { ReferenceChannelSpatialAttention } from './reference/op-by-op-layers'

// The attention's pass (passes/channel-spatial-attention.ts) under every executor against the op-by-op layer
// it replaced (reference/op-by-op-layers.ts).
const { names } = await backendsPresent({ suite: 'attention-pass' })
const runs = executorRuns(names)

/** The op-by-op reference, or the pass under an executor. */
type Form = 'op-by-op' | PassExecutor

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1)

interface Case {
  batch: number
  steps: number
  groups: number
  channels: number
  hidden: number
}

/** A built layer whose weights are deterministic numbers of unit-ish scale. */
function build({ steps, groups, channels, hidden }: Case, form: Form, seed = 30): tf.layers.Layer {
  // hidden = max(1, C // reduction): reduction C // hidden gives `hidden` for the channel counts used here.
  const reduction = Math.floor(channels / hidden)
  expect(attentionHiddenUnits(channels, reduction)).toBe(hidden)
  const layer =
    form === 'op-by-op'
      ? new ReferenceChannelSpatialAttention({ groups, reduction })
      : new ChannelSpatialAttention({
          groups,
          reduction,
          policy: { ...executionPolicyFor(), executor: form }
        })
  layer.build([null, steps, groups * channels])
  layer.setWeights(
    layer.weights.map((weight, i) => {
      const shape = weight.shape as number[]
      return tf.tensor(numbers(size(shape), seed + i, 1.5), shape)
    })
  )
  return layer
}

interface Result {
  output: Float32Array
  /** input, channel_attention_first, channel_attention_second, spatial_attention_kernel */
  gradients: Float32Array[]
  /** tfjs kernels of one forward and backward */
  kernels: number
}

/** Output and the gradients of sum(layer(x) * P) for P fixed, through whichever path is selected. */
async function run(layer: tf.layers.Layer, xData: number[], shape: number[]): Promise<Result> {
  const x = tf.tensor(xData, shape)
  const projection = tf.tensor(numbers(size(shape), 4242), shape)
  const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
  let output: Float32Array = new Float32Array()
  let gradients: Float32Array[] = []
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const out = layer.apply(x) as tf.Tensor
        output = out.dataSync() as Float32Array
        return tf.sum(tf.mul(out, projection))
      }, variables)
      value.dataSync()
      const inputGradient = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(input) as tf.Tensor, projection))
      )(x)
      gradients = [inputGradient, ...variables.map((variable) => grads[variable.name])].map(
        (gradient) => gradient.dataSync() as Float32Array
      )
    })
  })
  tf.dispose([x, projection])
  return { output, gradients, kernels: profile.kernels.length }
}

/** Largest difference, relative to the reference's scale where that is above 1. */
function worstDifference(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length)
  let scale = 1
  for (const value of expected) scale = Math.max(scale, Math.abs(value))
  let worst = 0
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]))
  return worst / scale
}

async function compare(
  testCase: Case,
  form: PassExecutor,
  xData: number[],
  weightSeed?: number
): Promise<{ fused: Result; reference: Result }> {
  const shape = [testCase.batch, testCase.steps, testCase.groups * testCase.channels]
  const reference = await run(build(testCase, 'op-by-op', weightSeed), xData, shape)
  const fused = await run(build(testCase, form, weightSeed), xData, shape)
  const names = ['input', 'first layer', 'second layer', 'spatial kernel']
  expect(worstDifference(fused.output, reference.output), 'output').toBeLessThan(1e-4)
  fused.gradients.forEach((gradient, i) => {
    expect(
      Math.max(...reference.gradients[i].map(Math.abs)),
      `${names[i]}: gradient must not vanish`
    ).toBeGreaterThan(1e-3)
    expect(worstDifference(gradient, reference.gradients[i]), `${names[i]} gradient`).toBeLessThan(1e-4)
  })
  return { fused, reference }
}

/**
 * Integers in [-2, 2], so that maxima over time repeat; every third row (one step of one group) is <= 0 with
 * two zeros, which stay tied at 0 after the channel weights: maxima over channels tie too.
 */
function tiedInput({ batch, steps, groups, channels }: Case): number[] {
  const values = numbers(batch * steps * groups * channels, 11, 2.49).map(Math.round)
  for (let row = 0; row < batch * steps * groups; row += 3) {
    for (let c = 0; c < channels; c++) values[row * channels + c] = -Math.abs(values[row * channels + c])
    values[row * channels + (row % channels)] = 0
    values[row * channels + ((row + 1) % channels)] = 0
  }
  return values
}

/** How many (b, g, c) have their maximum over time twice or more, and (b, t, g) their maximum over channels. */
function countTies({ batch, steps, groups, channels }: Case, values: number[]) {
  const at = (b: number, t: number, g: number, c: number) =>
    values[((b * steps + t) * groups + g) * channels + c]
  const repeated = (row: number[]) => row.filter((value) => value === Math.max(...row)).length > 1
  let overTime = 0
  let overChannels = 0
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < groups; g++) {
      for (let c = 0; c < channels; c++)
        if (repeated(Array.from({ length: steps }, (__, t) => at(b, t, g, c)))) overTime++
      for (let t = 0; t < steps; t++)
        if (repeated(Array.from({ length: channels }, (__, c) => at(b, t, g, c)))) overChannels++
    }
  }
  return { overTime, overChannels }
}

const cases: Case[] = [
  { batch: 3, steps: 1, groups: 1, channels: 4, hidden: 1 },
  { batch: 3, steps: 2, groups: 2, channels: 3, hidden: 1 },
  { batch: 3, steps: 5, groups: 1, channels: 4, hidden: 2 },
  { batch: 2, steps: 17, groups: 1, channels: 4, hidden: 2 },
  { batch: 2, steps: 5, groups: 2, channels: 5, hidden: 2 },
  { batch: 4, steps: 20, groups: 2, channels: 16, hidden: 1 },
  { batch: 2, steps: 20, groups: 3, channels: 4, hidden: 2 },
  { batch: 3, steps: 64, groups: 1, channels: 16, hidden: 1 },
  { batch: 2, steps: 64, groups: 2, channels: 6, hidden: 2 },
  { batch: 4, steps: 320, groups: 1, channels: 16, hidden: 1 },
  { batch: 2, steps: 320, groups: 2, channels: 4, hidden: 2 }
]

const label = ({ batch, steps, groups, channels, hidden }: Case) =>
  `B ${batch}, T ${steps}, G ${groups}, C ${channels}, hidden ${hidden}`

describe.each(runs)('channel+spatial attention pass ($backend, $executor)', ({ backend, executor }) => {
  beforeAll(async () => {
    await useBackend(backend)
  })

  test.each(cases.map((testCase) => [label(testCase), testCase] as const))(
    'equals the op-by-op path, forward and gradients: %s',
    async (_, testCase) => {
      const xData = numbers(testCase.batch * testCase.steps * testCase.groups * testCase.channels, 7, 2)
      const { fused, reference } = await compare(testCase, executor, xData)
      // The comparison is between two paths: through the binding the pass is a handful of kernels.
      if (executor !== 'tfjs') expect(fused.kernels).toBeLessThan(reference.kernels / 4)
    }
  )

  test.each(cases.map((testCase) => [label(testCase), testCase] as const))(
    'equals the op-by-op path where maxima tie: %s',
    async (_, testCase) => {
      const xData = tiedInput(testCase)
      if (testCase.steps > 1) {
        const ties = countTies(testCase, xData)
        expect(ties.overTime).toBeGreaterThan(0)
        expect(ties.overChannels).toBeGreaterThan(0)
      }
      // Maxima of 2 over time put every relu of one hidden unit on one side; these weights keep some alive.
      await compare(testCase, executor, xData, 50)
    }
  )

  test('the comparison sees a wrong gradient: the op-by-op path with another spatial kernel differs', async () => {
    const testCase = cases[2]
    const shape = [testCase.batch, testCase.steps, testCase.groups * testCase.channels]
    const xData = numbers(size(shape), 7, 2)
    const fused = await run(build(testCase, executor), xData, shape)
    const reference = build(testCase, 'op-by-op')
    const weights = reference.getWeights()
    reference.setWeights([weights[0], weights[1], tf.mul(weights[2], 1.01)])
    const perturbed = await run(reference, xData, shape)
    expect(worstDifference(fused.gradients[3], perturbed.gradients[3])).toBeGreaterThan(1e-4)
  })

  test('matches finite differences of its own loss', () => {
    const testCase: Case = { batch: 2, steps: 9, groups: 2, channels: 3, hidden: 1 }
    const shape = [testCase.batch, testCase.steps, testCase.groups * testCase.channels]
    const layer = build(testCase, executor)
    const x = tf.tensor(numbers(size(shape), 5, 2), shape)
    const projection = tf.tensor(numbers(size(shape), 6), shape)
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, projection))
    const analytic = tf.grad(loss)(x).dataSync()
    const values = x.dataSync()
    const epsilon = 1e-2
    let worst = 0
    for (let i = 0; i < values.length; i++) {
      const at = (delta: number) => {
        const shifted = values.slice()
        shifted[i] += delta
        return tf.tidy(() => loss(tf.tensor(shifted, shape)).dataSync()[0])
      }
      worst = Math.max(worst, Math.abs((at(epsilon) - at(-epsilon)) / (2 * epsilon) - analytic[i]))
    }
    expect(worst).toBeLessThan(5e-3)
  })

  test('leaves no tensors behind, with and without a gradient', () => {
    const testCase: Case = { batch: 2, steps: 12, groups: 2, channels: 4, hidden: 2 }
    const shape = [testCase.batch, testCase.steps, testCase.groups * testCase.channels]
    const layer = build(testCase, executor)
    const x = tf.tensor(numbers(size(shape), 3, 2), shape)
    const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
    const step = () =>
      tf.tidy(() => {
        tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor), variables).value.dataSync()
        ;(layer.apply(x) as tf.Tensor).dataSync()
        tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x).dataSync()
      })
    step() // the constants the layer keeps are made once
    const backend = tf.engine().backend
    const [tensors, data] = [tf.memory().numTensors, backend.numDataIds()]
    for (let i = 0; i < 3; i++) step()
    expect(tf.memory().numTensors).toBe(tensors)
    expect(backend.numDataIds()).toBe(data)
  })
})
