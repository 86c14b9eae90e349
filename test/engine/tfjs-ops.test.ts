import * as tf from '@tensorflow/tfjs'
import { attentionEquations } from './attention-equations'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { TfjsOps, type TfjsOpsOptions } from '../../src-main/engine/executors/tfjs-ops'
import { executionPolicyFor } from '../../src-main/engine/runtime/execution-policy'
import { backendsPresent } from './backends-present'
import { pseudoRandom } from './pseudo-random'

// TfjsOps writes TensorFlow's einsum and convolutions in ops the wasm backend has; the cpu backend has
// tfjs's own Einsum and Conv2D, an independent reference for the same arithmetic.
const close = (actual: tf.Tensor, expected: tf.Tensor, tolerance = 1e-4) => {
  expect(actual.shape).toEqual(expected.shape)
  const a = actual.dataSync()
  const e = expected.dataSync()
  let worst = 0
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]))
  expect(worst).toBeLessThan(tolerance)
  expect(Math.max(...Array.from(e).map(Math.abs))).toBeGreaterThan(1e-2)
}

const random = (seed: number, shape: number[]) =>
  tf.tensor(
    pseudoRandom(
      seed,
      shape.reduce((a, b) => a * b, 1)
    ),
    shape
  )

const forms: TfjsOpsOptions[] = [
  { plainMatMuls: false, convolutions: 'columns' },
  { plainMatMuls: true, convolutions: 'columns' },
  { plainMatMuls: false, convolutions: 'conv2d' },
  { plainMatMuls: false, convolutions: 'ungrouped-conv2d' },
  { plainMatMuls: true, convolutions: 'conv2d' }
]

describe.each(forms)('TfjsOps (%o) against tfjs on cpu', (options) => {
  beforeAll(async () => {
    await useBackend('cpu')
  })
  const ops = new TfjsOps(options)

  test.each(attentionEquations)('einsum %s', (equation, left, right) => {
    const a = random(1, left)
    const b = random(2, right)
    close(
      tf.tidy(() => ops.einsum(equation, a, b)),
      tf.einsum(equation, a, b)
    )
  })

  test('a grouped, dilated, causally padded convolution equals per-group conv2d', () => {
    const [batch, steps, inputs, groups, outputs, taps, dilation] = [2, 9, 3, 2, 4, 3, 2]
    const x = random(3, [1, batch, steps, groups * inputs])
    const filter = random(4, [1, taps, inputs, groups * outputs])
    const geometry = { dilation, padBefore: (taps - 1) * dilation, padAfter: 0 }
    const expected = tf.concat(
      Array.from({ length: groups }, (_, g) =>
        tf.conv2d(
          tf.slice(x, [0, 0, 0, g * inputs], [1, batch, steps, inputs]) as tf.Tensor4D,
          tf.slice(filter, [0, 0, 0, g * outputs], [1, taps, inputs, outputs]) as tf.Tensor4D,
          1,
          [
            [0, 0],
            [0, 0],
            [geometry.padBefore, 0],
            [0, 0]
          ],
          'NHWC',
          [1, dilation]
        )
      ),
      3
    )
    close(
      tf.tidy(() => ops.convolve(x, filter, geometry)),
      expected
    )
  })

  // Both sides of the size under which plainMatMuls keeps a product batched, transposes included, and one
  // right operand used plainly and transposed in one instance (its per-batch matrices are kept per form).
  test.each([
    [2, 1, 8, 24],
    [2, 40, 30, 20],
    [2, 40, 30, 50],
    [3, 1, 64, 192]
  ])('batched matMul [%i, %i, %i] x [.., %i], either operand transposed', (batch, rows, inner, columns) => {
    const a = random(11, [batch, rows, inner])
    const b = random(12, [batch, inner, columns])
    const aT = tf.transpose(a, [0, 2, 1])
    const bT = tf.transpose(b, [0, 2, 1])
    const fresh = new TfjsOps(options)
    close(
      tf.tidy(() => fresh.matMul(a, b)),
      tf.matMul(a, b)
    )
    close(
      tf.tidy(() => fresh.matMul(aT, b, true, false)),
      tf.matMul(a, b)
    )
    close(
      tf.tidy(() => fresh.matMul(a, bT, false, true)),
      tf.matMul(a, b)
    )
    const square = random(13, [batch, inner, inner])
    close(
      tf.tidy(() => fresh.matMul(fresh.matMul(a, square), square, false, true)),
      tf.matMul(tf.matMul(a, square), square, false, true)
    )
  })

  // The input and filter gradients of `convolve` against tfjs's own gradients of per-group conv2d.
  test.each([
    [1, 3, 2, 9, 4, 2],
    [2, 3, 2, 9, 4, 2],
    [3, 2, 3, 7, 2, 4],
    [2, 1, 1, 5, 3, 1],
    // Large enough that TfjsOps (conv2d) runs the groups group-major.
    [3, 2, 3, 400, 8, 2]
  ])(
    'convolution gradients: %i group(s), %i taps, dilation %i, %i steps',
    (groups, taps, dilation, steps, inputs, outputs) => {
      const batch = 2
      const geometry = { dilation, padBefore: (taps - 1) * dilation, padAfter: 0 }
      const x = random(7, [1, batch, steps, groups * inputs])
      const filter = random(8, [1, taps, inputs, groups * outputs])
      const dy = random(9, [1, batch, steps, groups * outputs])
      // y[t] = sum over taps j of x_padded[t + j d] W_j, group by group, differentiated by tfjs.
      const reference = (input: tf.Tensor, kernel: tf.Tensor) => {
        const padded = tf.pad(input, [
          [0, 0],
          [0, 0],
          [geometry.padBefore, 0],
          [0, 0]
        ])
        return tf.concat(
          Array.from({ length: groups }, (_, g) =>
            tf.addN(
              Array.from({ length: taps }, (_, j) =>
                tf.matMul(
                  tf.reshape(tf.slice(padded, [0, 0, j * dilation, g * inputs], [1, batch, steps, inputs]), [
                    batch * steps,
                    inputs
                  ]),
                  tf.reshape(tf.slice(kernel, [0, j, 0, g * outputs], [1, 1, inputs, outputs]), [
                    inputs,
                    outputs
                  ])
                )
              )
            )
          ),
          1
        )
      }
      const [dx, dFilter] = tf.grads((input: tf.Tensor, kernel: tf.Tensor) =>
        tf.sum(tf.mul(reference(input, kernel), tf.reshape(dy, [batch * steps, groups * outputs])))
      )([x, filter])
      close(
        tf.tidy(() => ops.convolve(x, filter, geometry)),
        tf.reshape(reference(x, filter), [1, batch, steps, groups * outputs])
      )
      close(
        tf.tidy(() => ops.convolveInputGradient(dy, filter, groups, geometry)),
        dx
      )
      const expectedFilters = tf.stack(
        Array.from({ length: groups }, (_, g) =>
          tf.slice(dFilter, [0, 0, 0, g * outputs], [1, taps, inputs, outputs])
        )
      )
      close(
        tf.tidy(() => ops.convolveGroupedFilterGradient(dy, x, groups, taps, geometry)),
        expectedFilters
      )
    }
  )

  test('a "same" convolution over [B, H, 1, C] equals conv2d with padding same', () => {
    const x = random(5, [2, 7, 1, 6])
    const filter = random(6, [3, 1, 6, 2])
    close(
      tf.tidy(() => ops.convolveSame(x, filter)),
      tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same')
    )
  })

  // Large inputs split into consecutive pieces are cut from one read of the input: the same pieces as tfjs's.
  test.each([
    [[40000], [1000, 25000, 14000], 0],
    [[1, 6, 3000], [1, 4, 1], 1],
    [[3, 100, 60], [1, 2], 0],
    [[2, 100, 90], [30, 60], 2]
  ])('split %j into %j along axis %i, and unstack', (shape, sizes, axis) => {
    const x = random(31, shape)
    const pieces = tf.tidy(() => ops.split(x, sizes, axis))
    const expected = tf.split(x, sizes, axis)
    pieces.forEach((piece, i) => close(piece, expected[i]))
    if (shape.length === 1) return
    const slices = tf.tidy(() => ops.unstack(x, axis))
    tf.unstack(x, axis).forEach((slice, i) => close(slices[i], slice))
  })

  test('select on an equality mask takes t where equal, e elsewhere, with broadcasting', () => {
    const x = tf.tensor([1, 3, 3, 2, 5, 5], [2, 3])
    const maximum = tf.max(x, 1, true)
    const out = tf.tidy(() => ops.select(ops.equal(x, maximum), tf.scalar(10), tf.tensor([[1], [2]])))
    expect(Array.from(out.dataSync())).toEqual([1, 10, 10, 2, 10, 10])
  })
})

// The form the execution policy picks for a backend must compute what the others compute, there.
const { names } = await backendsPresent({ suite: 'TfjsOps forms', includeCpu: true })
describe.each(names.filter((name) => name !== 'tensorflow'))('TfjsOps forms on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })

  test("the policy's convolution form equals the others, value and gradients", () => {
    const policy = executionPolicyFor(backend)
    const chosen = new TfjsOps(policy)
    const [batch, steps, inputs, groups, outputs, taps, dilation] = [3, 12, 3, 2, 4, 3, 4]
    const geometry = { dilation, padBefore: (taps - 1) * dilation, padAfter: 0 }
    const x = random(21, [1, batch, steps, groups * inputs])
    const filter = random(22, [1, taps, inputs, groups * outputs])
    const dy = random(23, [1, batch, steps, groups * outputs])
    const firstGroup = tf.slice(x, [0, 0, 0, 0], [1, batch, steps, inputs])
    for (const options of forms) {
      const other = new TfjsOps(options)
      const same = (run: (ops: TfjsOps) => tf.Tensor) =>
        close(
          tf.tidy(() => run(chosen)),
          tf.tidy(() => run(other))
        )
      same((ops) => ops.convolve(x, filter, geometry))
      same((ops) => ops.convolveInputGradient(dy, filter, groups, geometry))
      same((ops) => ops.convolveGroupedFilterGradient(dy, x, groups, taps, geometry))
      same((ops) => ops.convolveFilterGradient(dy, firstGroup, taps, geometry))
    }
  })
})
