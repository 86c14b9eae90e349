import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { executionPolicyFor } from '../../src-main/engine/runtime/execution-policy'
import { TcnResidualBlock } from '../../src-main/engine/layers'
import { Random } from '../../src-main/engine/training/random'
import { backendsPresent, executorRuns } from './backends-present'
import { numbers } from './layers-reference'
import { ReferenceTcnBlock, type ReferenceTcnBlockArgs } from './reference/op-by-op-layers'

// The TCN block's pass (passes/tcn-block.ts) replaces 64-110 tfjs kernels by ~55 operations with a
// hand-written backward: under every executor it must give what the op-by-op block gives, value and every
// gradient, dropout included.
const { names } = await backendsPresent({ suite: 'TCN block pass' })
const runs = executorRuns(names)

/** Math.random from a seeded generator while fn runs: the dropout masks are drawn from it. */
function withSeededMathRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random
  const random = new Random(seed)
  Math.random = () => random.next()
  try {
    return fn()
  } finally {
    Math.random = original
  }
}

interface Case {
  groups: number
  inputChannels: number
  filters: number
  kernelSize: number
  dilation: number
  steps: number
  dropout: number
  /** Channel and spatial attention inside the block, as the paper's blocks have it. */
  attention?: boolean
}

const cases: Case[] = [
  { groups: 1, inputChannels: 1, filters: 4, kernelSize: 3, dilation: 1, steps: 9, dropout: 0 },
  { groups: 1, inputChannels: 4, filters: 4, kernelSize: 3, dilation: 4, steps: 11, dropout: 0 },
  { groups: 2, inputChannels: 1, filters: 3, kernelSize: 3, dilation: 2, steps: 7, dropout: 0 },
  { groups: 2, inputChannels: 3, filters: 3, kernelSize: 2, dilation: 8, steps: 5, dropout: 0 },
  { groups: 3, inputChannels: 2, filters: 4, kernelSize: 3, dilation: 2, steps: 10, dropout: 0.3 },
  { groups: 1, inputChannels: 3, filters: 5, kernelSize: 1, dilation: 1, steps: 4, dropout: 0.5 },
  {
    groups: 1,
    inputChannels: 3,
    filters: 5,
    kernelSize: 3,
    dilation: 2,
    steps: 8,
    dropout: 0,
    attention: true
  },
  {
    groups: 2,
    inputChannels: 1,
    filters: 4,
    kernelSize: 2,
    dilation: 1,
    steps: 20,
    dropout: 0.2,
    attention: true
  },
  // The paper's first block: five one-channel branches, 25 filters, kernel 2, 20 points.
  {
    groups: 5,
    inputChannels: 1,
    filters: 25,
    kernelSize: 2,
    dilation: 1,
    steps: 20,
    dropout: 0.2,
    attention: true
  }
]

/** Value and gradients (input first, then every weight) of sum(block(x) * probe), in a seeded run. */
function valueAndGradients(layer: tf.layers.Layer, x: tf.Tensor3D, probe: tf.Tensor, training: boolean) {
  const input = tf.variable(x)
  const variables = [input, ...layer.trainableWeights.map((weight) => weight.read() as tf.Variable)]
  return withSeededMathRandom(7, () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(layer.apply(input, { training }) as tf.Tensor, probe)),
        variables
      )
      const result = {
        value: value.dataSync()[0],
        output: Array.from((layer.apply(input) as tf.Tensor).dataSync()),
        gradients: variables.map((variable) => Array.from(grads[variable.name].dataSync()))
      }
      input.dispose()
      return result
    })
  )
}

describe.each(runs)('the TCN block pass ($backend, $executor)', ({ backend, executor }) => {
  beforeAll(async () => {
    await useBackend(backend)
  })
  const block = (args: ReferenceTcnBlockArgs) =>
    new TcnResidualBlock({ ...args, policy: { ...executionPolicyFor(backend), executor } })
  /** The op-by-op reference with the weights of `layer`. */
  const referenceOf = (layer: tf.layers.Layer, args: ReferenceTcnBlockArgs, shape: number[]) => {
    const reference = new ReferenceTcnBlock(args)
    reference.build(shape)
    reference.setWeights(layer.getWeights())
    return reference
  }

  test.each(cases)(
    'equals the op-by-op block: G=$groups C=$inputChannels F=$filters k=$kernelSize d=$dilation T=$steps dropout=$dropout attention=$attention',
    ({ groups, inputChannels, filters, kernelSize, dilation, steps, dropout, attention }) => {
      const batch = 3
      const args = { groups, filters, kernelSize, dilation, dropout, attention, seed: 5 }
      const layer = block(args)
      const shape: [number, number, number] = [batch, steps, groups * inputChannels]
      layer.build(shape)
      layer.setWeights(
        layer.weights.map((weight, i) =>
          tf.tensor(
            numbers(tf.util.sizeFromShape(weight.shape as number[]), 10 + i, 0.7),
            weight.shape as number[]
          )
        )
      )
      const x = tf.tensor3d(numbers(tf.util.sizeFromShape(shape), 3, 1.5), shape)
      const probe = tf.tensor(numbers(batch * steps * groups * filters, 4, 1), [
        batch,
        steps,
        groups * filters
      ])
      valueAndGradients(layer, x, probe, true)
      // Nothing left behind once the shapes' constants exist: no temporaries, no saved tensors.
      const before = tf.memory().numTensors
      const fused = valueAndGradients(layer, x, probe, true)
      expect(tf.memory().numTensors).toBe(before)
      const reference = valueAndGradients(referenceOf(layer, args, shape), x, probe, true)
      expect(fused.value).toBeCloseTo(reference.value, 3)
      expect(fused.output.length).toBe(reference.output.length)
      fused.output.forEach((value, i) => expect(value).toBeCloseTo(reference.output[i], 4))
      expect(fused.gradients.length).toBe(layer.trainableWeights.length + 1)
      fused.gradients.forEach((gradient, g) => {
        expect(gradient.length).toBe(reference.gradients[g].length)
        gradient.forEach((value, i) => expect(value).toBeCloseTo(reference.gradients[g][i], 3))
      })
      // The probe weights steps and channels differently, so a gradient in the wrong place would show.
      expect(fused.gradients[0].some((value) => Math.abs(value) > 1e-3)).toBe(true)
      tf.dispose([x, probe])
    }
  )

  test.skipIf(backend !== 'tensorflow')(
    'runs as two TensorFlow functions exactly where they are in use',
    () => {
      const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>
      const original = backend.executeMultipleOutputs
      const calls: string[] = []
      backend.executeMultipleOutputs = (...args: unknown[]) => {
        calls.push(args[0] as string)
        return original.apply(backend, args)
      }
      try {
        const layer = block({ filters: 4, kernelSize: 3, dilation: 2, dropout: 0.2, seed: 3 })
        const x = tf.tensor3d(numbers(2 * 6 * 4, 5, 1), [2, 6, 4])
        layer.apply(x)
        valueAndGradients(layer, x, tf.onesLike(x), true)
        const functions = calls.filter((name) => name.startsWith('emoheal_fn_'))
        // Two inference passes (the build above, the output read in valueAndGradients), a training forward and
        // its backward.
        expect(functions.length).toBe(executor === 'graph' ? 4 : 0)
        x.dispose()
      } finally {
        backend.executeMultipleOutputs = original
      }
    }
  )

  test('dropout changes with the seed and is the same mask on both forms', () => {
    const args = { filters: 4, kernelSize: 3, dilation: 2, dropout: 0.5, seed: 2 }
    const layer = block(args)
    const x = tf.tensor3d(numbers(2 * 8 * 4, 1, 1), [2, 8, 4])
    layer.apply(x)
    const run = (on: tf.layers.Layer, seed: number) =>
      withSeededMathRandom(seed, () => Array.from((on.apply(x, { training: true }) as tf.Tensor).dataSync()))
    const first = run(layer, 1)
    expect(run(layer, 1)).toEqual(first)
    expect(run(layer, 2)).not.toEqual(first)
    run(referenceOf(layer, args, [2, 8, 4]), 1).forEach((value, i) => expect(value).toBeCloseTo(first[i], 4))
    x.dispose()
  })
})
