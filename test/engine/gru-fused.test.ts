import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PytorchGru } from '../../src-main/engine/layers'
import { setGruForm, useFusedGru, type GruForm } from '../../src-main/engine/layers/fused-gru'
import { numbers } from './layers-reference'
import { backendsPresent } from './backends-present'
import { useBackend } from '../../src-main/engine/backend'
import { graphFunctionsPresent } from '../../src-main/engine/native-graph/graph-ops'

// The fused recurrence (JavaScript, every backend) and the graph-function layer (native TensorFlow whose
// binding registers functions) against the op-by-op path they replace (itself checked against plain loops in
// layers.test.ts), and against finite differences.
const { names: backends } = await backendsPresent({ includeCpu: true, suite: 'gru-fused' })

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

function build(c: Case, extra: { dropoutBetweenLayers?: number } = {}): PytorchGru {
  const layer = new PytorchGru({ units, numLayers: c.layers, ...c, ...extra })
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

/** Output and every gradient of sum(gru(x) * P), P fixed, under one form. */
function run(layer: PytorchGru, x: tf.Tensor, form: GruForm, training = true): Result {
  setGruForm(form)
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
async function kernelNames(layer: PytorchGru, x: tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => {
    tf.tidy(() => {
      const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
      tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables)
    })
  })
  return info.kernels.map((kernel) => kernel.name)
}

describe('the auto rule', () => {
  afterAll(() => setGruForm('auto'))

  test('fuses the models’ GRUs and leaves large ones op by op', () => {
    setGruForm('auto')
    // The native-rate model (batch 32, 20 steps, 32 units, both directions), the paper's one-step GRU.
    for (const training of [true, false]) {
      expect(useFusedGru(32, 20, 32, 2, training)).toBe(true)
      expect(useFusedGru(32, 1, 64, 2, training)).toBe(true)
      expect(useFusedGru(32, 20, 128, 2, training)).toBe(false)
      expect(useFusedGru(1024, 1, 64, 2, training)).toBe(false)
    }
    // Inference runs fewer kernels a step op by op: the fused form's limit is lower there.
    expect(useFusedGru(32, 20, 64, 2, true)).toBe(true)
    expect(useFusedGru(32, 20, 64, 2, false)).toBe(false)
  })

  test('a forced form wins', () => {
    setGruForm('ops')
    expect(useFusedGru(2, 3, 4, 1, true)).toBe(false)
    setGruForm('fused')
    expect(useFusedGru(512, 20, 256, 2, true)).toBe(true)
  })
})

describe.each(backends)('on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })
  afterAll(() => setGruForm('auto'))
  const graph = backend === 'tensorflow' && graphFunctionsPresent()
  const forms: GruForm[] = graph ? ['fused', 'graph'] : ['fused']
  if (backend === 'tensorflow' && !graph)
    console.log('[gru-fused] graph form skipped: the binding registers no functions')

  test('the forms run different kernels (the switch is real)', async () => {
    const layer = build(cases[1])
    const x = tf.tensor(numbers(batch * 5 * inputs, 3, 1.5), [batch, 5, inputs])
    setGruForm('ops')
    const ops = await kernelNames(layer, x)
    setGruForm('fused')
    const fused = await kernelNames(layer, x)
    setGruForm('auto')
    const auto = await kernelNames(layer, x)
    expect(ops).toContain('Tanh')
    expect(fused).not.toContain('Tanh')
    expect(fused.length * 5).toBeLessThan(ops.length)
    if (graph) {
      setGruForm('graph')
      const graphKernels = await kernelNames(layer, x)
      expect(graphKernels).not.toContain('Tanh')
      expect(graphKernels).not.toEqual(fused)
      // Where the binding registers functions, 'auto' takes them.
      expect(auto).toEqual(graphKernels)
    } else {
      // layers.test.ts's shapes are this small: 'auto' takes the fused form there.
      expect(auto).toEqual(fused)
    }
  })

  describe.each(cases)('%#', (c) => {
    test.each(forms)(`%s forward and gradients equal the op-by-op path: ${name(c)}`, (form) => {
      const layer = build(c)
      const x = tf.tensor(numbers(batch * c.steps * inputs, 5 + c.steps, 1.5), [batch, c.steps, inputs])
      const ops = run(layer, x, 'ops')
      const fused = run(layer, x, form)
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
      const inference = run(layer, x, form, false)
      expect(worstDifference(inference.output, ops.output)).toBeLessThan(1e-4)
    })
  })

  test.each(forms.flatMap((form) => [cases[5], cases[2], cases[8]].map((c) => ({ form, ...c }))))(
    '$form gradients match finite differences: %o',
    ({ form, ...c }) => {
      const layer = build(c)
      const x = tf.tensor(numbers(batch * c.steps * inputs, 11, 1.5), [batch, c.steps, inputs])
      const analytic = run(layer, x, form)
      setGruForm(form)
      const projection = tf.tensor(numbers(analytic.output.length, 4243), (layer.apply(x) as tf.Tensor).shape)
      const lossValue = (input: tf.Tensor) =>
        tf.tidy(() => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, projection)).dataSync()[0])
      const epsilon = 1e-2
      const targets = [
        { values: x.dataSync() as Float32Array, set: (v: Float32Array) => v, isInput: true },
        ...layer.trainableWeights.map((weight) => ({
          values: weight.read().dataSync().slice() as Float32Array,
          set: (v: Float32Array) => weight.write(tf.tensor(v, weight.shape as number[])),
          isInput: false
        }))
      ]
      targets.forEach((target, t) => {
        const { name: gradientName, values: gradient } = analytic.gradients[t]
        let worst = 0
        for (let i = 0; i < target.values.length; i++) {
          const shifted = (delta: number) => {
            const v = target.values.slice()
            v[i] += delta
            if (target.isInput) return lossValue(tf.tensor(v, x.shape))
            target.set(v)
            const value = lossValue(x)
            target.set(target.values)
            return value
          }
          const numeric = (shifted(epsilon) - shifted(-epsilon)) / (2 * epsilon)
          worst = Math.max(worst, Math.abs(numeric - gradient[i]))
        }
        // float32 finite differences: an absolute floor plus a share of the gradient's scale.
        expect(worst, gradientName).toBeLessThan(2e-3 + 1e-2 * largest(gradient))
      })
    }
  )

  test.each(forms)('the %s path keeps no tensor after a training step or a prediction', (form) => {
    const layer = build(cases[4])
    const x = tf.tensor(numbers(batch * 5 * inputs, 17, 1.5), [batch, 5, inputs])
    setGruForm(form)
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

  test('dropout between layers still applies in training on the fused path', () => {
    const c = cases[5]
    const layer = build(c, { dropoutBetweenLayers: 0.5 })
    const x = tf.tensor(numbers(batch * c.steps * inputs, 13, 1.5), [batch, c.steps, inputs])
    const plain = run(layer, x, 'fused', false)
    const reference = run(layer, x, 'ops', false)
    expect(worstDifference(plain.output, reference.output)).toBeLessThan(1e-4)
    const dropped = run(layer, x, 'fused', true)
    expect(worstDifference(dropped.output, plain.output)).toBeGreaterThan(1e-3)
  })
})
