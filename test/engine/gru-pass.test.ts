import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { executionPolicyFor } from '../../src-main/engine/runtime/execution-policy'
import { graphFunctionsPresent } from '../../src-main/engine/executors/graph-ops'
import type { PassExecutor } from '../../src-main/engine/executors/run-pass'
import { PytorchGru, TcnResidualBlock } from '../../src-main/engine/layers'
import { backendsPresent, executorsOn } from './backends-present'
import { expectFiniteDifferences } from './finite-differences'
import { numbers } from './layers-reference'
import { ReferenceGru } from './reference/op-by-op-layers'

// The GRU pass (passes/gru-layer.ts) under every executor the backend has (TensorFlow functions and the eager
// binding on native TensorFlow, plain tfjs ops everywhere) against the op-by-op layer it replaced
// (reference/op-by-op-layers.ts, itself checked against plain loops in layers.test.ts), and against finite
// differences.
const { names: backends } = await backendsPresent({ includeCpu: true, suite: 'gru-pass' })

/** The op-by-op reference, or the pass under an executor. */
type Form = 'op-by-op' | PassExecutor

interface Case {
  layers: number
  bidirectional: boolean
  returnSequences: boolean
  steps: number
}

const cases: Case[] = [
  { layers: 1, bidirectional: true, returnSequences: false, steps: 5 },
  { layers: 1, bidirectional: true, returnSequences: true, steps: 5 },
  { layers: 1, bidirectional: false, returnSequences: false, steps: 5 },
  { layers: 1, bidirectional: false, returnSequences: true, steps: 5 },
  { layers: 2, bidirectional: true, returnSequences: false, steps: 5 },
  { layers: 2, bidirectional: true, returnSequences: true, steps: 5 },
  { layers: 2, bidirectional: false, returnSequences: true, steps: 5 },
  { layers: 1, bidirectional: true, returnSequences: false, steps: 1 },
  { layers: 2, bidirectional: true, returnSequences: true, steps: 1 },
  { layers: 2, bidirectional: false, returnSequences: false, steps: 1 }
]

const [batch, inputs, units] = [3, 4, 5]
const name = (c: Case) =>
  `${c.layers} layer(s), ${c.bidirectional ? 'bi' : 'uni'}directional, ${
    c.returnSequences ? 'sequences' : 'last step'
  }, ${c.steps} step(s)`

function build(c: Case, form: Form, extra: { dropoutBetweenLayers?: number } = {}): tf.layers.Layer {
  const args = { units, numLayers: c.layers, ...c, ...extra }
  const layer =
    form === 'op-by-op'
      ? new ReferenceGru(args)
      : new PytorchGru({ ...args, policy: { ...executionPolicyFor(), executor: form } })
  layer.build([null, c.steps, inputs])
  // Large enough weights that the gates leave their linear range (a wrong gate derivative would show).
  layer.setWeights(
    layer.weights.map((weight, i) => {
      const shape = weight.shape as number[]
      return tf.tensor(numbers(tf.util.sizeFromShape(shape), 70 + i, 0.9), shape)
    })
  )
  return layer
}

interface Result {
  output: Float32Array
  /** The input's gradient, then every weight's, in weight order. */
  gradients: { name: string; values: Float32Array }[]
}

/** Output and every gradient of sum(gru(x) * P), P fixed. */
function run(layer: tf.layers.Layer, x: tf.Tensor, training = true): Result {
  return tf.tidy(() => {
    const output = layer.apply(x, { training }) as tf.Tensor
    const projection = tf.tensor(numbers(output.size, 4243), output.shape)
    const loss = (input: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply(input, { training }) as tf.Tensor, projection)) as tf.Scalar
    const inputGradient = tf.grad(loss)(x)
    const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
    const { grads } = tf.variableGrads(() => loss(x), variables)
    return {
      output: output.dataSync() as Float32Array,
      gradients: [
        { name: 'input', values: inputGradient.dataSync() as Float32Array },
        ...layer.trainableWeights.map((weight, i) => ({
          name: weight.originalName,
          // Op by op over one step tfjs finds no path to W_hh (h0 = 0) and leaves it out: zeros, as PyTorch.
          values: (grads[variables[i].name]?.dataSync() ??
            new Float32Array(weight.read().size)) as Float32Array
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

/** Kernel names one training forward+backward runs, to tell the two forms apart. */
async function kernelNames(layer: tf.layers.Layer, x: tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => {
    tf.tidy(() => {
      const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
      tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables)
    })
  })
  return info.kernels.map((kernel) => kernel.name)
}

test('a saved config of a former debug variant is refused, not loaded as the real layer', () => {
  expect(() => new PytorchGru({ units: 2, resetBefore: true } as never)).toThrow(/reset-before gating/)
  expect(
    () =>
      new TcnResidualBlock({ filters: 2, kernelSize: 2, dilation: 1, attentionAfterResidual: true } as never)
  ).toThrow(/attention after the residual/)
})

describe('the execution policy', () => {
  test('takes TensorFlow functions or the eager binding on native TensorFlow, tfjs ops elsewhere', () => {
    expect(['graph', 'eager']).toContain(executionPolicyFor('tensorflow').executor)
    expect(executionPolicyFor('tensorflow').executor).toBe(graphFunctionsPresent() ? 'graph' : 'eager')
    expect(executionPolicyFor('wasm').executor).toBe('tfjs')
    expect(executionPolicyFor('cpu').executor).toBe('tfjs')
  })
})

describe.each(backends)('on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })
  const native = backend === 'tensorflow'
  const forms = executorsOn(backend)
  if (native && !forms.includes('graph'))
    console.log('[gru-pass] graph executor skipped: the binding registers no functions')

  test('the executors run different kernels (the choice is real)', async () => {
    const x = tf.tensor(numbers(batch * 5 * inputs, 3, 1.5), [batch, 5, inputs])
    const opByOp = await kernelNames(build(cases[1], 'op-by-op'), x)
    const tfjsOps = await kernelNames(build(cases[1], 'tfjs'), x)
    expect(opByOp).toContain('Tanh')
    // The pass's backward is written out: no tfjs gradient of tanh.
    expect(tfjsOps).toContain('Tanh')
    expect(tfjsOps).not.toEqual(opByOp)
    if (native) {
      // Through the binding or as functions no operation is a tfjs kernel.
      for (const executor of forms.filter((form) => form !== 'tfjs'))
        expect(await kernelNames(build(cases[1], executor), x)).not.toContain('Tanh')
    }
  })

  describe.each(cases)('%#', (c) => {
    test.each(forms)(`%s forward and gradients equal the op-by-op layer: ${name(c)}`, (form) => {
      const layer = build(c, form)
      const x = tf.tensor(numbers(batch * c.steps * inputs, 5 + c.steps, 1.5), [batch, c.steps, inputs])
      const ops = run(build(c, 'op-by-op'), x)
      const fused = run(layer, x)
      expect(largest(ops.output)).toBeGreaterThan(0.1)
      expect(worstDifference(fused.output, ops.output)).toBeLessThan(1e-4)
      expect(fused.gradients.map((g) => g.name)).toEqual(ops.gradients.map((g) => g.name))
      expect(fused.gradients).toHaveLength(1 + 4 * c.layers)
      fused.gradients.forEach((gradient, i) => {
        const expected = ops.gradients[i].values
        // W_hh's gradient is zero for one step (h0 = 0); every other one must carry signal.
        if (!(c.steps === 1 && gradient.name.endsWith('recurrent_kernel')))
          expect(largest(expected), gradient.name).toBeGreaterThan(1e-3)
        expect(worstDifference(gradient.values, expected), gradient.name).toBeLessThan(1e-4)
      })
      // Inference takes the same path.
      const inference = run(layer, x, false)
      expect(worstDifference(inference.output, ops.output)).toBeLessThan(1e-4)
    })
  })

  test.each(forms.flatMap((form) => [cases[5], cases[2], cases[8]].map((c) => ({ form, ...c }))))(
    '$form gradients match finite differences: %o',
    ({ form, ...c }) => {
      const layer = build(c, form)
      const x = tf.tensor(numbers(batch * c.steps * inputs, 11, 1.5), [batch, c.steps, inputs])
      const analytic = run(layer, x)
      const projection = tf.tensor(numbers(analytic.output.length, 4243), (layer.apply(x) as tf.Tensor).shape)
      expectFiniteDifferences(layer, x, projection, analytic.gradients)
    }
  )

  test.each(forms)('the %s path keeps no tensor after a training step or a prediction', (form) => {
    const layer = build(cases[4], form)
    const x = tf.tensor(numbers(batch * 5 * inputs, 17, 1.5), [batch, 5, inputs])
    const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
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

  test('dropout between layers still applies in training', () => {
    const c = cases[5]
    const layer = build(c, forms[0], { dropoutBetweenLayers: 0.5 })
    const x = tf.tensor(numbers(batch * c.steps * inputs, 13, 1.5), [batch, c.steps, inputs])
    const plain = run(layer, x, false)
    const reference = run(build(c, 'op-by-op', { dropoutBetweenLayers: 0.5 }), x, false)
    expect(worstDifference(plain.output, reference.output)).toBeLessThan(1e-4)
    const dropped = run(layer, x, true)
    expect(worstDifference(dropped.output, plain.output)).toBeGreaterThan(1e-3)
  })
})
