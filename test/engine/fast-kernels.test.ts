import * as tf from '@tensorflow/tfjs'
import { describe, expect, test } from 'vitest'
import { listBackends, useBackend, type BackendPreference } from '../../src-main/engine/runtime/backend'
import { executionPolicyFor, registerKernelOverrides } from '../../src-main/engine/runtime/execution-policy'
import { DilatedCausalConv1D } from '../../src-main/engine/layers'
import { dropout } from '../../src-main/engine/layers/dropout'
import { executorRuns } from './backends-present'
import { pseudoRandom } from './pseudo-random'
import { causalShape, fromGroups, groupedConvolution, toGroups } from './reference/grouped-ops'

const available = (await listBackends())
  .filter((backend) => backend.available && (backend.name === 'tensorflow' || backend.name === 'wasm'))
  .map((backend) => backend.name)
console.log(`fast kernels tested on: ${available.join(', ')}`)

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tolerance)
}

describe.each(available)('lean kernels and gradients on %s', (backend) => {
  test('ReLU gradient is w where x > 0, else 0', async () => {
    await useBackend(backend as BackendPreference)
    const x = pseudoRandom(1, 60)
    const w = pseudoRandom(2, 60)
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), tf.tensor(w, [3, 20]))))(
      tf.tensor(x, [3, 20])
    )
    expectClose(
      gradient.dataSync(),
      x.map((value, i) => (value > 0 ? w[i] : 0))
    )
  })

  test('add, sub and mul gradients reduce over broadcast axes', async () => {
    await useBackend(backend as BackendPreference)
    const a = pseudoRandom(3, 12)
    const b = pseudoRandom(4, 4)
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(tf.sub(tf.add(x, y), tf.mul(y, 2)), x))
    )([tf.tensor(a, [3, 4]), tf.tensor(b, [1, 4])])
    // f = sum((a + b - 2b) * a) = sum(a² - a b): df/da = 2a - b, df/db = -sum over rows of a.
    expectClose(
      da.dataSync(),
      a.map((value, i) => 2 * value - b[i % 4])
    )
    expect(db.shape).toEqual([1, 4])
    expectClose(
      db.dataSync(),
      [0, 1, 2, 3].map((column) => -(a[column] + a[column + 4] + a[column + 8]))
    )
  })

  test('dropout keeps about 1 - rate of the values, scaled by 1 / (1 - rate)', async () => {
    await useBackend(backend as BackendPreference)
    const values = dropout(tf.ones([100, 200]), 0.3).dataSync()
    const kept = values.filter((value) => value !== 0)
    expect(kept.length / values.length).toBeGreaterThan(0.68)
    expect(kept.length / values.length).toBeLessThan(0.72)
    for (const value of kept.slice(0, 100)) expect(value).toBeCloseTo(1 / 0.7, 5)
  })

  test('reshape keeps values and dtypes with shapes cached', async () => {
    await useBackend(backend as BackendPreference)
    registerKernelOverrides()
    const values = pseudoRandom(8, 24)
    for (let round = 0; round < 2; round++) {
      expectClose(tf.reshape(tf.tensor(values, [2, 12]), [4, -1]).dataSync(), values)
      const ints = tf.reshape(tf.tensor([1, 2, 3, 4, 5, 6], [6], 'int32'), [2, 3])
      expect(ints.dtype).toBe('int32')
      expect(ints.shape).toEqual([2, 3])
      expect(Array.from(ints.dataSync())).toEqual([1, 2, 3, 4, 5, 6])
    }
  })
})

const convolutionRuns = executorRuns(available)

describe.each(convolutionRuns)(
  'the causal convolution pass ($backend, $executor)',
  ({ backend, executor }) => {
    const shapes = [
      { groups: 1, kernelSize: 3, dilation: 1 },
      { groups: 1, kernelSize: 3, dilation: 2 },
      { groups: 1, kernelSize: 3, dilation: 8 },
      { groups: 2, kernelSize: 2, dilation: 4 },
      { groups: 3, kernelSize: 1, dilation: 1 }
    ]
    test.each(shapes)('equals the op-by-op im2col form, values and gradients: %o', async (shape) => {
      await useBackend(backend as BackendPreference)
      const { groups, kernelSize, dilation } = shape
      const [batch, steps, inputs, filters] = [3, 37, 2, 4]
      const layer = new DilatedCausalConv1D({
        groups,
        filters,
        kernelSize,
        dilation,
        policy: { ...executionPolicyFor(backend), executor }
      })
      layer.build([batch, steps, groups * inputs])
      const kernel = tf.tensor(pseudoRandom(12, groups * kernelSize * inputs * filters), [
        groups,
        kernelSize * inputs,
        filters
      ])
      const bias = tf.tensor(pseudoRandom(13, groups * filters), [groups, filters])
      layer.setWeights([kernel, bias])
      const x = tf.tensor(pseudoRandom(11, batch * steps * groups * inputs), [batch, steps, groups * inputs])
      const weights = tf.tensor(pseudoRandom(14, batch * steps * groups * filters), [
        batch,
        steps,
        groups * filters
      ])
      const pass = (input: tf.Tensor) => layer.apply(input) as tf.Tensor
      const reference = (input: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
        fromGroups(groupedConvolution(toGroups(input, groups), k, b, causalShape(kernelSize, dilation)))
      const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
      const loss = (f: () => tf.Tensor) => tf.sum(tf.mul(f(), weights)) as tf.Scalar
      const passGrads = tf.variableGrads(() => loss(() => pass(x)), variables).grads
      const passDx = tf.grad((input: tf.Tensor) => loss(() => pass(input)))(x)
      const [dx, dk, db] = tf.grads((input: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
        loss(() => reference(input, k, b))
      )([x, kernel, bias])
      const out = pass(x)
      expect(out.shape).toEqual([batch, steps, groups * filters])
      expectClose(out.dataSync(), reference(x, kernel, bias).dataSync())
      expectClose(passDx.dataSync(), dx.dataSync())
      expectClose(passGrads[variables[0].name].dataSync(), dk.dataSync(), 1e-4)
      expectClose(passGrads[variables[1].name].dataSync(), db.dataSync(), 1e-4)
      expect(Math.max(...Array.from(dk.dataSync()).map(Math.abs))).toBeGreaterThan(0.1)
    })
  }
)
