import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { executionPolicyFor } from '../../src-main/engine/runtime/execution-policy'
import type { PassExecutor } from '../../src-main/engine/executors/run-pass'
import { EmohealDense } from '../../src-main/engine/layers'
import type { DenseActivation } from '../../src-main/engine/passes/dense'
import { backendsPresent, executorsOn } from './backends-present'
import { expectFiniteDifferences } from './finite-differences'
import { numbers } from './layers-reference'

// The dense pass (passes/dense.ts), run by EmohealDense under every executor the backend has, against the
// layer it replaced: tfjs's own tf.layers.dense with its autograd, given the same weights; and against
// finite differences.
const { names: backends } = await backendsPresent({ includeCpu: true, suite: 'dense pass' })

interface Case {
  activation: DenseActivation
  useBias: boolean
  /** The input's shape; the last axis is the input units. */
  input: number[]
  units: number
}

const cases: Case[] = [
  { activation: 'linear', useBias: true, input: [4, 6], units: 3 },
  { activation: 'relu', useBias: true, input: [4, 6], units: 5 },
  { activation: 'softmax', useBias: true, input: [4, 6], units: 3 },
  { activation: 'linear', useBias: false, input: [4, 6], units: 3 },
  { activation: 'relu', useBias: false, input: [2, 3, 6], units: 4 },
  { activation: 'softmax', useBias: true, input: [2, 3, 6], units: 4 },
  { activation: 'linear', useBias: true, input: [1, 7], units: 2 }
]

const name = (c: Case) =>
  `${c.activation}, ${c.useBias ? 'bias' : 'no bias'}, input [${c.input}] -> ${c.units}`

function weightValues(c: Case): tf.Tensor[] {
  const inputs = c.input[c.input.length - 1]
  const kernel = tf.tensor(numbers(inputs * c.units, 31, 0.8), [inputs, c.units])
  return c.useBias ? [kernel, tf.tensor(numbers(c.units, 37, 0.5), [c.units])] : [kernel]
}

function ours(c: Case, executor: PassExecutor): tf.layers.Layer {
  const layer = new EmohealDense({
    units: c.units,
    activation: c.activation,
    useBias: c.useBias,
    policy: { ...executionPolicyFor(), executor }
  })
  layer.build([null, ...c.input.slice(1)])
  layer.setWeights(weightValues(c))
  return layer
}

function tfjsDense(c: Case): tf.layers.Layer {
  const layer = tf.layers.dense({ units: c.units, activation: c.activation, useBias: c.useBias })
  layer.build([null, ...c.input.slice(1)])
  layer.setWeights(weightValues(c))
  return layer
}

interface Result {
  output: Float32Array
  /** The input's gradient, then every weight's. */
  gradients: { name: string; values: Float32Array }[]
}

/** Output and gradients of sum(dense(x) * P), P fixed, so that no gradient is a plain sum. */
function run(layer: tf.layers.Layer, x: tf.Tensor): Result {
  return tf.tidy(() => {
    const output = layer.apply(x) as tf.Tensor
    const projection = tf.tensor(numbers(output.size, 4243), output.shape)
    const loss = (input: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply(input) as tf.Tensor, projection)) as tf.Scalar
    const inputGradient = tf.grad(loss)(x)
    const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
    const { grads } = tf.variableGrads(() => loss(x), variables)
    return {
      output: output.dataSync() as Float32Array,
      gradients: [
        { name: 'input', values: inputGradient.dataSync() as Float32Array },
        ...layer.trainableWeights.map((weight, i) => ({
          name: weight.originalName.split('/').pop() as string,
          values: grads[variables[i].name].dataSync() as Float32Array
        }))
      ]
    }
  })
}

const worstDifference = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length)
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i])), 0)
}

const largest = (a: Float32Array) => a.reduce((most, value) => Math.max(most, Math.abs(value)), 0)

test('an activation the pass has no form of is refused, naming the layer', () => {
  expect(() => new EmohealDense({ units: 2, name: 'head', activation: 'tanh' as never })).toThrow(
    /dense layer head: activation tanh/
  )
})

describe.each(backends)('on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })
  const native = backend === 'tensorflow'
  const forms = executorsOn(backend)
  if (native && !forms.includes('graph'))
    console.log('[dense pass] graph executor skipped: the binding registers no functions')

  test("the executors run the pass, not tfjs's Dense kernels (the choice is real)", async () => {
    const c = cases[1]
    const x = tf.tensor(numbers(tf.util.sizeFromShape(c.input), 3, 1.5), c.input)
    const kernelNames = async (layer: tf.layers.Layer) => {
      const info = await tf.profile(() => {
        tf.tidy(() => {
          const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
          tf.variableGrads(
            () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            variables
          )
        })
      })
      return info.kernels.map((kernel) => kernel.name)
    }
    const tfjs = await kernelNames(tfjsDense(c))
    expect(tfjs).toContain('BatchMatMul')
    // The pass's backward is written out: not the kernels of tfjs's gradients.
    expect(await kernelNames(ours(c, 'tfjs'))).not.toEqual(tfjs)
    for (const executor of forms.filter((form) => form !== 'tfjs')) {
      // Through the binding or as functions no operation is a tfjs kernel.
      const names = await kernelNames(ours(c, executor))
      expect(names.join(' '), executor).not.toMatch(/MatMul|Relu/)
    }
  })

  describe.each(cases)('%#', (c) => {
    test.each(forms)(`%s forward and gradients equal tfjs's Dense: ${name(c)}`, (form) => {
      const x = tf.tensor(numbers(tf.util.sizeFromShape(c.input), 5, 1.5), c.input)
      const expected = run(tfjsDense(c), x)
      const actual = run(ours(c, form), x)
      expect(largest(expected.output)).toBeGreaterThan(0.1)
      expect(worstDifference(actual.output, expected.output)).toBeLessThan(1e-5)
      expect(actual.gradients.map((g) => g.name)).toEqual(['input', 'kernel', ...(c.useBias ? ['bias'] : [])])
      expect(actual.gradients.map((g) => g.name)).toEqual(expected.gradients.map((g) => g.name))
      actual.gradients.forEach((gradient, i) => {
        expect(largest(expected.gradients[i].values), gradient.name).toBeGreaterThan(1e-3)
        expect(worstDifference(gradient.values, expected.gradients[i].values), gradient.name).toBeLessThan(
          1e-5
        )
      })
    })
  })

  test.each(forms.flatMap((form) => [cases[1], cases[2], cases[5]].map((c) => ({ form, ...c }))))(
    '$form gradients match finite differences: $activation, input $input',
    ({ form, ...c }) => {
      const layer = ours(c, form)
      const x = tf.tensor(numbers(tf.util.sizeFromShape(c.input), 11, 1.5), c.input)
      const analytic = run(layer, x)
      const projection = tf.tensor(numbers(analytic.output.length, 4243), [...c.input.slice(0, -1), c.units])
      expectFiniteDifferences(layer, x, projection, analytic.gradients)
    }
  )

  test.each(forms)('the %s path keeps no tensor after a training step or a prediction', (form) => {
    const c = cases[2]
    const layer = ours(c, form)
    const x = tf.tensor(numbers(tf.util.sizeFromShape(c.input), 17, 1.5), c.input)
    const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          variables
        )
        value.dataSync()
        expect(Object.keys(grads)).toHaveLength(variables.length)
      })
    step()
    const before = tf.memory().numTensors
    step()
    tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync())
    expect(tf.memory().numTensors).toBe(before)
  })
})
