import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  ChannelSpatialAttention,
  DilatedCausalConv1D,
  LastTimeStep,
  PytorchGru,
  TcnResidualBlock,
  TemporalAveragePool
} from '../../src-main/engine/layers'
import { maxKeepingAxis } from './reference/grouped-ops'
import { ReferenceGru } from './reference/op-by-op-layers'
import {
  bidirectionalGru,
  causalConvolution,
  channelAttention,
  nest,
  numbers,
  spatialAttention,
  temporalBlock,
  type BlockWeights,
  type GruDirectionWeights,
  type Sequence
} from './layers-reference'
import { backendsPresent } from './backends-present'
import { analyticGradients, expectFiniteDifferences } from './finite-differences'
import { useBackend } from '../../src-main/engine/runtime/backend'

// Tiny sizes keep finite differences cheap enough for plain-JS cpu too.
const { names: backends } = await backendsPresent({ includeCpu: true, suite: 'layers' })

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1)

/** Sets every weight of a built layer to deterministic numbers; returns them flat, in weight order. */
function setDeterministicWeights(layer: tf.layers.Layer, seed: number, scale = 0.8): Float32Array[] {
  const values = layer.weights.map(
    (weight, i) => new Float32Array(numbers(size(weight.shape as number[]), seed + i, scale))
  )
  layer.setWeights(values.map((data, i) => tf.tensor(data, layer.weights[i].shape as number[])))
  return values
}

function weightByName(layer: tf.layers.Layer, name: string): Float32Array {
  // Built inside a model the name is scoped (layer/name); built alone it is bare.
  const index = layer.weights.findIndex((weight) => weight.originalName.split('/').pop() === name)
  if (index < 0) throw new Error(`no weight ${name}`)
  return layer.weights[index].read().dataSync() as Float32Array
}

/** Our [G, k*Cin, Cout] at group g -> torch (Cout, Cin, k). */
function torchConvolution(
  ours: Float32Array,
  group: number,
  taps: number,
  inputs: number,
  outputs: number
): number[][][] {
  const offset = group * taps * inputs * outputs
  return Array.from({ length: outputs }, (_, o) =>
    Array.from({ length: inputs }, (__, c) =>
      Array.from({ length: taps }, (___, j) => ours[offset + (j * inputs + c) * outputs + o])
    )
  )
}

function groupBias(ours: Float32Array, group: number, length: number): number[] {
  return Array.from(ours.slice(group * length, (group + 1) * length))
}

/** The channels of group g of x [B][T][G*C], per batch item. */
function groupSlice(x: number[][][], group: number, channels: number): Sequence[] {
  return x.map((sequence) => sequence.map((row) => row.slice(group * channels, (group + 1) * channels)))
}

function joinGroups(perGroup: Sequence[][]): number[][][] {
  const batch = perGroup[0].length
  return Array.from({ length: batch }, (_, b) =>
    perGroup[0][b].map((__, t) => perGroup.flatMap((group) => group[b][t]))
  )
}

function expectClose(
  actual: number[][][] | number[][],
  expected: number[][][] | number[][],
  tolerance = 1e-5
) {
  const a = (actual as unknown[]).flat(2) as number[]
  const e = (expected as unknown[]).flat(2) as number[]
  expect(a.length).toBe(e.length)
  const worst = Math.max(...a.map((v, i) => Math.abs(v - e[i])))
  expect(worst).toBeLessThan(tolerance)
}

/** y = 2x with a gradient 5% too large: the control that shows checkGradients can fail on this backend. */
class WrongGradient extends tf.layers.Layer {
  static className = 'WrongGradient'
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs
    const doubled = tf.customGrad(((input: tf.Tensor) => ({
      value: tf.mul(input, 2),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, 2.1)
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (input: tf.Tensor) => tf.Tensor
    return doubled(x)
  }
}

/** The layer's tfjs gradients of sum(layer(x) * P) (P fixed) against central finite differences. */
function checkGradients(layer: tf.layers.Layer, x: tf.Tensor, epsilon = 1e-2) {
  const output = layer.apply(x) as tf.Tensor
  const projection = tf.tensor(numbers(output.size, 4242), output.shape)
  expectFiniteDifferences(layer, x, projection, analyticGradients(layer, x, projection), {
    epsilon,
    nonVanishing: true
  })
}

describe.each(backends)('on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })

  test('runs on that backend', () => {
    expect(tf.getBackend()).toBe(backend)
  })

  test('the gradient check fails a gradient that is 5% off', () => {
    const layer = new WrongGradient({})
    const x = tf.tensor(numbers(2 * 6 * 3, 9, 1.5), [2, 6, 3])
    expect(() => checkGradients(layer, x)).toThrow(/input: analytic vs finite differences/)
  })

  // One group takes native TensorFlow's own convolution (gradients included); several, the im2col form.
  describe.each([
    [2, 2],
    [1, 2],
    [1, 4]
  ])('DilatedCausalConv1D, %i group(s), dilation %i', (groups, dilation) => {
    const [batch, steps, inputs, filters, taps] = [2, 9, 2, 3, 3]
    const build = () => {
      const layer = new DilatedCausalConv1D({ groups, filters, kernelSize: taps, dilation })
      layer.build([null, steps, groups * inputs])
      setDeterministicWeights(layer, 10)
      return layer
    }
    const xData = numbers(batch * steps * groups * inputs, 1)

    test('forward equals the plain causal convolution per group', () => {
      const layer = build()
      const x = nest(xData, [batch, steps, groups * inputs]) as number[][][]
      const actual = (layer.apply(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][][]
      const kernel = weightByName(layer, 'kernel')
      const bias = weightByName(layer, 'bias')
      const expected = joinGroups(
        Array.from({ length: groups }, (_, g) =>
          groupSlice(x, g, inputs).map((sequence) =>
            causalConvolution(
              sequence,
              torchConvolution(kernel, g, taps, inputs, filters),
              groupBias(bias, g, filters),
              dilation
            )
          )
        )
      )
      expect(actual[0]).toHaveLength(steps)
      expectClose(actual, expected)
    })

    test('output at step t does not depend on later steps', () => {
      const layer = build()
      const x = tf.tensor3d(nest(xData, [batch, steps, groups * inputs]) as number[][][])
      const changed = x.arraySync()
      changed[0][steps - 1] = changed[0][steps - 1].map((v) => v + 5)
      const a = (layer.apply(x) as tf.Tensor).arraySync() as number[][][]
      const b = (layer.apply(tf.tensor3d(changed)) as tf.Tensor).arraySync() as number[][][]
      expectClose(a[0].slice(0, steps - 1), b[0].slice(0, steps - 1), 1e-7)
      expect(Math.abs(a[0][steps - 1][0] - b[0][steps - 1][0])).toBeGreaterThan(1e-3)
    })

    test('gradients match finite differences', () => {
      checkGradients(build(), tf.tensor(xData, [batch, steps, groups * inputs]))
    })

    test('serializes its config', () => {
      const layer = build()
      const copy = DilatedCausalConv1D.fromConfig(
        DilatedCausalConv1D,
        layer.getConfig()
      ) as DilatedCausalConv1D
      expect([copy.groups, copy.filters, copy.kernelSize, copy.dilation]).toEqual([
        groups,
        filters,
        taps,
        dilation
      ])
    })
  })

  describe('ChannelSpatialAttention', () => {
    const [batch, steps, groups, channels] = [2, 7, 2, 5]
    const build = () => {
      const layer = new ChannelSpatialAttention({ groups, reduction: 2 })
      layer.build([null, steps, groups * channels])
      setDeterministicWeights(layer, 20, 1.5)
      return layer
    }
    const xData = numbers(batch * steps * groups * channels, 2, 2)

    test('forward equals channel then spatial attention per group', () => {
      const layer = build()
      const hidden = 2
      const x = nest(xData, [batch, steps, groups * channels]) as number[][][]
      const actual = (layer.apply(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][][]
      const first = weightByName(layer, 'channel_attention_first')
      const second = weightByName(layer, 'channel_attention_second')
      const spatial = weightByName(layer, 'spatial_attention_kernel')
      const expected = joinGroups(
        Array.from({ length: groups }, (_, g) =>
          groupSlice(x, g, channels).map((sequence) => {
            const fc1 = torchConvolution(first, g, 1, channels, hidden).map((row) =>
              row.map((taps) => taps[0])
            )
            const fc2 = torchConvolution(second, g, 1, hidden, channels).map((row) =>
              row.map((taps) => taps[0])
            )
            return spatialAttention(
              channelAttention(sequence, fc1, fc2),
              torchConvolution(spatial, g, 7, 2, 1)
            )
          })
        )
      )
      expectClose(actual, expected)
    })

    test('gradients match finite differences', () => {
      checkGradients(build(), tf.tensor(xData, [batch, steps, groups * channels]))
    })
  })

  describe('TcnResidualBlock', () => {
    const [batch, steps, groups, filters, taps, dilation] = [2, 8, 2, 3, 2, 2]
    const build = (inputs: number, attention: boolean, seed = 30) => {
      const layer = new TcnResidualBlock({
        groups,
        filters,
        kernelSize: taps,
        dilation,
        attention,
        dropout: 0.2
      })
      layer.build([null, steps, groups * inputs])
      setDeterministicWeights(layer, seed, 0.9)
      return layer
    }

    function reference(
      layer: tf.layers.Layer,
      x: number[][][],
      inputs: number,
      attention: boolean
    ): number[][][] {
      const hidden = 1
      return joinGroups(
        Array.from({ length: groups }, (_, g) => {
          const weights: BlockWeights = {
            conv1: torchConvolution(weightByName(layer, 'first_kernel'), g, taps, inputs, filters),
            bias1: groupBias(weightByName(layer, 'first_bias'), g, filters),
            conv2: torchConvolution(weightByName(layer, 'second_kernel'), g, taps, filters, filters),
            bias2: groupBias(weightByName(layer, 'second_bias'), g, filters)
          }
          if (inputs !== filters) {
            weights.downsample = {
              weight: torchConvolution(weightByName(layer, 'downsample_kernel'), g, 1, inputs, filters),
              bias: groupBias(weightByName(layer, 'downsample_bias'), g, filters)
            }
          }
          if (attention) {
            weights.attention = {
              fc1: torchConvolution(
                weightByName(layer, 'channel_attention_first'),
                g,
                1,
                filters,
                hidden
              ).map((r) => r.map((t) => t[0])),
              fc2: torchConvolution(
                weightByName(layer, 'channel_attention_second'),
                g,
                1,
                hidden,
                filters
              ).map((r) => r.map((t) => t[0])),
              spatial: torchConvolution(weightByName(layer, 'spatial_attention_kernel'), g, 7, 2, 1)
            }
          }
          return groupSlice(x, g, inputs).map((sequence) => temporalBlock(sequence, weights, dilation))
        })
      )
    }

    for (const [inputs, attention] of [
      [1, true],
      [3, false]
    ] as const) {
      test(`forward equals the plain block (inputs ${inputs}, attention ${attention})`, () => {
        const layer = build(inputs, attention)
        const x = nest(numbers(batch * steps * groups * inputs, 3, 1.5), [
          batch,
          steps,
          groups * inputs
        ]) as number[][][]
        // Dropout is inactive outside training, as in PyTorch's eval mode.
        const actual = (layer.apply(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][][]
        expectClose(actual, reference(layer, x, inputs, attention))
      })
    }

    test('dropout acts in training only', () => {
      const layer = build(1, true)
      const x = tf.tensor(numbers(batch * steps * groups, 3, 1.5), [batch, steps, groups])
      const a = (layer.apply(x) as tf.Tensor).dataSync()
      const b = (layer.apply(x, { training: true }) as tf.Tensor).dataSync()
      expect(a.some((v, i) => Math.abs(v - b[i]) > 1e-4)).toBe(true)
    })

    test('gradients match finite differences', () => {
      // ReLUs and maxima have kinks: these inputs keep every pre-activation further than the step from zero.
      checkGradients(
        build(1, true, 33),
        tf.tensor(numbers(batch * steps * groups, 5, 1.5), [batch, steps, groups]),
        1e-3
      )
    })
  })

  // The layer (its pass, passes/gru-layer.ts) and the op-by-op reference the pass is checked against.
  describe.each(['pass', 'op-by-op reference'] as const)('PytorchGru (%s)', (form) => {
    const [batch, steps, inputs, units, layers] = [2, 4, 4, 3, 2]
    const build = (returnSequences: boolean) => {
      const args = { units, numLayers: layers, bidirectional: true, returnSequences }
      const layer = form === 'pass' ? new PytorchGru(args) : new ReferenceGru(args)
      layer.build([null, steps, inputs])
      setDeterministicWeights(layer, 40, 0.9)
      return layer
    }
    const xData = numbers(batch * steps * inputs, 4, 1.5)

    function referenceWeights(layer: tf.layers.Layer): GruDirectionWeights[][] {
      return Array.from({ length: layers }, (_, l) => {
        const inputSize = l === 0 ? inputs : 2 * units
        return [0, 1].map((direction) => {
          const matrix = (name: string, columns: number) =>
            torchConvolution(weightByName(layer, name), direction, 1, columns, 3 * units).map((row) =>
              row.map((t) => t[0])
            )
          return {
            weightIh: matrix(`layer${l}_input_kernel`, inputSize),
            weightHh: matrix(`layer${l}_recurrent_kernel`, units),
            biasIh: groupBias(weightByName(layer, `layer${l}_input_bias`), direction, 3 * units),
            biasHh: groupBias(weightByName(layer, `layer${l}_recurrent_bias`), direction, 3 * units)
          }
        })
      })
    }

    test('sequences equal PyTorch GRU semantics (reset after, both directions, 2 layers)', () => {
      const layer = build(true)
      const x = nest(xData, [batch, steps, inputs]) as number[][][]
      const actual = (layer.apply(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][][]
      const expected = x.map((sequence) => bidirectionalGru(sequence, referenceWeights(layer)))
      expectClose(actual, expected)
    })

    test('the last step is PyTorch out[:, -1, :]', () => {
      const layer = build(false)
      const x = nest(xData, [batch, steps, inputs]) as number[][][]
      const actual = (layer.apply(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][]
      const expected = x.map((sequence) => bidirectionalGru(sequence, referenceWeights(layer))[steps - 1])
      expectClose(actual, expected)
    })

    test('reset-before gating gives different numbers', () => {
      const after = build(true)
      const before = new ReferenceGru({ units, numLayers: layers, returnSequences: true, resetBefore: true })
      before.build([null, steps, inputs])
      before.setWeights(after.getWeights())
      const x = tf.tensor(xData, [batch, steps, inputs])
      const a = (after.apply(x) as tf.Tensor).dataSync()
      const b = (before.apply(x) as tf.Tensor).dataSync()
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-3)
    })

    test('gradients match finite differences', () => {
      checkGradients(build(true), tf.tensor(xData, [batch, steps, inputs]))
    })

    test('gradients of the last step match finite differences', () => {
      checkGradients(build(false), tf.tensor(xData, [batch, steps, inputs]))
    })
  })

  describe('time-step layers', () => {
    test('TemporalAveragePool averages consecutive steps', () => {
      const data = numbers(2 * 8 * 3, 5)
      const x = nest(data, [2, 8, 3]) as number[][][]
      const layer = new TemporalAveragePool({ steps: 2 })
      const actual = (layer.apply(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][][]
      const expected = x.map((sequence) =>
        [0, 1].map((k) =>
          [0, 1, 2].map((c) => sequence.slice(k * 4, k * 4 + 4).reduce((s, row) => s + row[c], 0) / 4)
        )
      )
      expectClose(actual, expected)
      checkGradients(layer, tf.tensor(data, [2, 8, 3]))
    })

    test('TemporalAveragePool refuses lengths that do not divide', () => {
      expect(() => new TemporalAveragePool({ steps: 3 }).apply(tf.input({ shape: [8, 2] }))).toThrow(
        /8 steps cannot be pooled to 3/
      )
    })

    test('LastTimeStep takes the last step', () => {
      const data = numbers(2 * 5 * 3, 6)
      const x = nest(data, [2, 5, 3]) as number[][][]
      const actual = (new LastTimeStep({}).apply(tf.tensor3d(x)) as tf.Tensor).arraySync() as number[][]
      expectClose(
        actual,
        x.map((sequence) => sequence[4])
      )
    })
  })

  test('the masked max has the same value and gradient as tfjs max', () => {
    const x = tf.tensor(numbers(3 * 4 * 5, 7), [3, 4, 5])
    for (const axis of [1, 2]) {
      const weights = tf.tensor(numbers(axis === 1 ? 15 : 12, 8), axis === 1 ? [3, 1, 5] : [3, 4, 1])
      const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(maxKeepingAxis(v, axis), weights)))(x)
      const reference = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.max(v, axis, true), weights)))(x)
      expect(Array.from(ours.dataSync())).toEqual(Array.from(reference.dataSync()))
      expect(Array.from(maxKeepingAxis(x, axis).dataSync())).toEqual(
        Array.from(tf.max(x, axis, true).dataSync())
      )
    }
  })
})
