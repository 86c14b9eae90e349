import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { TfjsOps } from '../../src-main/engine/executors/tfjs-ops'
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

describe.each([false, true])('TfjsOps (plain matMuls %s) against tfjs on cpu', (plainMatMuls) => {
  beforeAll(async () => {
    await useBackend('cpu')
  })
  const ops = new TfjsOps(plainMatMuls)

  // Every equation the attention pass uses, with its shapes' labels distinct in size.
  const equations: [string, number[], number[]][] = [
    ['bkgc,gch->bkgh', [3, 2, 2, 5], [2, 5, 4]],
    ['bkgh,ghc->bkgc', [3, 1, 2, 4], [2, 4, 5]],
    ['gmx,gmxjwch->jwch', [2, 6, 1], [2, 6, 1, 3, 1, 4, 2]],
    ['jwch,gmxjwch->gmx', [3, 1, 4, 2], [2, 6, 1, 3, 1, 4, 2]],
    ['bkgh,bkgc->ghc', [3, 1, 2, 4], [3, 1, 2, 5]],
    ['bkgc,bkgh->gch', [3, 2, 2, 5], [3, 2, 2, 4]],
    ['bkgh,kl->blgh', [3, 2, 2, 4], [2, 2]],
    ['blgh,gch->blgc', [3, 2, 2, 4], [2, 5, 4]]
  ]
  test.each(equations)('einsum %s', (equation, left, right) => {
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

  test('a "same" convolution over [B, H, 1, C] equals conv2d with padding same', () => {
    const x = random(5, [2, 7, 1, 6])
    const filter = random(6, [3, 1, 6, 2])
    close(
      tf.tidy(() => ops.convolveSame(x, filter)),
      tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same')
    )
  })

  test('select on an equality mask takes t where equal, e elsewhere, with broadcasting', () => {
    const x = tf.tensor([1, 3, 3, 2, 5, 5], [2, 3])
    const maximum = tf.max(x, 1, true)
    const out = tf.tidy(() => ops.select(ops.equal(x, maximum), tf.scalar(10), tf.tensor([[1], [2]])))
    expect(Array.from(out.dataSync())).toEqual([1, 10, 10, 2, 10, 10])
  })
})
