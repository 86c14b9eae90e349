import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, test } from 'vitest'
import { listBackends, useBackend, type BackendPreference } from '../../src-main/engine/backend'
import { dropout } from '../../src-main/engine/layers/dropout'
import { groupedMatMul, setGroupedMatMulForm } from '../../src-main/engine/layers/grouped-matmul'
import { groupedConvolution, setConvolutionForm } from '../../src-main/engine/layers/grouped-ops'
import '../../src-main/engine/layers/lean-gradients'
import { useCachedReshapeShapes } from '../../src-main/engine/layers/native-reshape'
import { pseudoRandom } from './pseudo-random'

const available = (await listBackends())
  .filter((backend) => backend.available && (backend.name === 'tensorflow' || backend.name === 'wasm'))
  .map((backend) => backend.name)
console.log(`fast kernels tested on: ${available.join(', ')}`)

afterAll(() => {
  setGroupedMatMulForm('auto')
  setConvolutionForm('auto')
})

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

  test('per-group 2-D matMuls equal the batched matMul, values and gradients', async () => {
    await useBackend(backend as BackendPreference)
    const a = tf.tensor(pseudoRandom(5, 3 * 4 * 6), [3, 4, 6])
    const b = tf.tensor(pseudoRandom(6, 3 * 6 * 2), [3, 6, 2])
    const weights = tf.tensor(pseudoRandom(7, 3 * 4 * 2), [3, 4, 2])
    const run = (form: 'batched' | 'per-group') => {
      setGroupedMatMulForm(form)
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(groupedMatMul(x, y), weights))
      const [da, db] = tf.grads(f)([a, b])
      return { value: groupedMatMul(a, b).dataSync(), da: da.dataSync(), db: db.dataSync() }
    }
    const batched = run('batched')
    const perGroup = run('per-group')
    expectClose(perGroup.value, batched.value)
    expectClose(perGroup.da, batched.da)
    expectClose(perGroup.db, batched.db)
    // A batched matMul of these shapes is not all zeros: the comparison means something.
    expect(Math.max(...Array.from(batched.da).map(Math.abs))).toBeGreaterThan(0.1)
  })

  test('reshape keeps values and dtypes with shapes cached', async () => {
    await useBackend(backend as BackendPreference)
    useCachedReshapeShapes()
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

describe.skipIf(!available.includes('tensorflow'))('native convolution of one group', () => {
  const shapes = [
    { kernelSize: 3, dilation: 1, padBefore: 2, padAfter: 0 },
    { kernelSize: 3, dilation: 2, padBefore: 4, padAfter: 0 },
    { kernelSize: 3, dilation: 8, padBefore: 16, padAfter: 0 },
    { kernelSize: 2, dilation: 4, padBefore: 4, padAfter: 0 },
    { kernelSize: 7, dilation: 1, padBefore: 3, padAfter: 3 }
  ]
  test.each(shapes)('equals the im2col form, values and gradients: %o', async (shape) => {
    await useBackend('tensorflow')
    const [batch, steps, inputs, filters] = [3, 37, 2, 4]
    const x = tf.tensor(pseudoRandom(11, batch * steps * inputs), [1, batch, steps, inputs]) as tf.Tensor4D
    const kernel = tf.tensor(pseudoRandom(12, shape.kernelSize * inputs * filters), [
      1,
      shape.kernelSize * inputs,
      filters
    ])
    const bias = tf.tensor(pseudoRandom(13, filters), [1, filters])
    const weights = tf.tensor(pseudoRandom(14, batch * steps * filters), [1, batch, steps, filters])
    const run = (form: 'auto' | 'columns') => {
      setConvolutionForm(form)
      const f = (input: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(groupedConvolution(input as tf.Tensor4D, k, b, shape), weights))
      const [dx, dk, db] = tf.grads(f)([x, kernel, bias])
      const out = groupedConvolution(x, kernel, bias, shape)
      return {
        out: out.dataSync(),
        shape: out.shape,
        dx: dx.dataSync(),
        dk: dk.dataSync(),
        db: db.dataSync()
      }
    }
    const native = run('auto')
    const columns = run('columns')
    expect(native.shape).toEqual([1, batch, steps, filters])
    expectClose(native.out, columns.out)
    expectClose(native.dx, columns.dx)
    expectClose(native.dk, columns.dk, 1e-4)
    expectClose(native.db, columns.db, 1e-4)
  })
})
