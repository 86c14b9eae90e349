import { readFileSync } from 'node:fs'
import { attentionEquations } from './attention-equations'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { ArrayOps, type ArrayOperand } from '../../src-main/engine/executors/array-ops'
import { broadcastShape } from '../../src-main/engine/ops/tensor-ops'
import { pseudoRandom } from './pseudo-random'

// ArrayOps (the plain-JS executor) op by op against tfjs's own kernels on the cpu backend. Every case runs
// twice: on program inputs (recorded, compiled, run twice so that reused buffers are exercised) and on
// constants (computed when recorded).

type Build = (ops: ArrayOps, x: ArrayOperand[]) => ArrayOperand

function runArray(
  build: Build,
  tensors: tf.Tensor[],
  constants: boolean
): { values: number[]; shape: number[] } {
  const ops = new ArrayOps()
  const operands = tensors.map((tensor) =>
    constants ? ops.constant(tensor.dataSync(), tensor.shape) : ops.input(tensor.shape)
  )
  const output = build(ops, operands)
  const program = ops.compile([output])
  if (!constants) {
    // Garbage first: a run must not depend on what the buffers held before.
    for (const operand of operands) program.values(operand).fill(Number.NaN)
    program.run()
    operands.forEach((operand, i) => program.values(operand).set(tensors[i].dataSync()))
    program.run()
  }
  return { values: Array.from(program.values(output)), shape: output.shape }
}

const random = (seed: number, shape: number[]) =>
  tf.tensor(
    pseudoRandom(
      seed,
      shape.reduce((a, b) => a * b, 1)
    ),
    shape
  )

function expectClose(build: Build, inputs: tf.Tensor[], expected: tf.Tensor, tolerance = 1e-5) {
  const reference = Array.from(expected.dataSync())
  expect(Math.max(...reference.map(Math.abs))).toBeGreaterThan(1e-2)
  for (const constants of [false, true]) {
    const { values, shape } = runArray(build, inputs, constants)
    expect(shape).toEqual(expected.shape)
    let worst = 0
    values.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - reference[i]))))
    expect(worst, constants ? 'on constants' : 'on inputs').toBeLessThan(tolerance)
  }
}

beforeAll(async () => {
  await useBackend('cpu')
})

describe('ArrayOps against tfjs on cpu', () => {
  const broadcasts: [number[], number[]][] = [
    [
      [3, 5],
      [3, 5]
    ],
    [[2, 3, 4], [4]],
    [
      [2, 3, 4],
      [3, 1]
    ],
    [
      [2, 1, 4],
      [3, 1]
    ],
    [
      [1, 3, 1],
      [2, 1, 5]
    ],
    [[], [2, 3]],
    [
      [2, 3, 4, 5],
      [2, 1, 4, 1]
    ]
  ]
  test.each(broadcasts)('add, sub, mul, div of %j and %j broadcast', (left, right) => {
    const a = random(1, left)
    const b = tf.add(tf.abs(random(2, right)), 0.5)
    expectClose((ops, [x, y]) => ops.add(x, y), [a, b], tf.add(a, b))
    expectClose((ops, [x, y]) => ops.sub(x, y), [a, b], tf.sub(a, b))
    expectClose((ops, [x, y]) => ops.mul(x, y), [a, b], tf.mul(a, b))
    expectClose((ops, [x, y]) => ops.div(y, x), [a, b], tf.div(b, a), 1e-3)
  })

  test('a ReLU of a sum, recorded into the sum, and the sum still read by another', () => {
    const a = random(30, [2, 3, 4])
    const b = random(31, [3, 1])
    expectClose((ops, [x, y]) => ops.relu(ops.add(x, y)), [a, b], tf.relu(tf.add(a, b)))
    expectClose(
      (ops, [x, y]) => {
        const sum = ops.add(x, y)
        return ops.mul(ops.relu(sum), sum)
      },
      [a, b],
      tf.mul(tf.relu(tf.add(a, b)), tf.add(a, b))
    )
  })

  test('unary operations', () => {
    const x = random(3, [3, 7])
    expectClose(
      (ops, [a]) => ops.sqrt(ops.add(ops.mul(a, a), ops.floatScalar(0.1))),
      [x],
      tf.sqrt(tf.add(tf.square(x), 0.1))
    )
    expectClose((ops, [a]) => ops.neg(a), [x], tf.neg(x))
    expectClose((ops, [a]) => ops.sigmoid(a), [x], tf.sigmoid(x))
    expectClose((ops, [a]) => ops.tanh(a), [x], tf.tanh(x))
    expectClose((ops, [a]) => ops.relu(a), [x], tf.relu(x))
    expectClose((ops, [a]) => ops.sign(a), [x], tf.sign(x))
    expectClose((ops, [a]) => ops.softmax(a), [x], tf.softmax(x))
  })

  test('the elementwise gradients', () => {
    const y = tf.sigmoid(random(4, [4, 5]))
    const dy = random(5, [4, 5])
    expectClose((ops, [a, b]) => ops.sigmoidGrad(a, b), [y, dy], tf.mul(dy, tf.mul(y, tf.sub(1, y))))
    expectClose((ops, [a, b]) => ops.tanhGrad(a, b), [y, dy], tf.mul(dy, tf.sub(1, tf.square(y))))
    const z = random(6, [4, 5])
    expectClose(
      (ops, [a, b]) => ops.reluGrad(a, b),
      [dy, z],
      tf.where(tf.greater(z, 0), dy, tf.zerosLike(dy))
    )
  })

  test('equal and select broadcast like TensorFlow', () => {
    const x = tf.round(tf.mul(random(7, [2, 3, 4]), 2))
    const m = tf.max(x, 2, true)
    const t = random(8, [2, 3, 1])
    const e = random(9, [4])
    expectClose(
      (ops, [a, b, c, d]) => ops.select(ops.equal(a, b), c, d),
      [x, m, t, e],
      tf.where(tf.equal(x, m), tf.broadcastTo(t, [2, 3, 4]), tf.broadcastTo(e, [2, 3, 4]))
    )
  })

  test.each([0, 1, 2])('reduce Mean, Max, Sum over axis %i; sum over several axes', (axis) => {
    const x = random(10, [3, 4, 5])
    expectClose((ops, [a]) => ops.reduce('Mean', a, axis), [x], tf.mean(x, axis, true))
    expectClose((ops, [a]) => ops.reduce('Max', a, axis), [x], tf.max(x, axis, true))
    expectClose((ops, [a]) => ops.reduce('Sum', a, axis), [x], tf.sum(x, axis, true))
    expectClose(
      (ops, [a]) => ops.sum(a, [axis, 2 - axis], false),
      [x],
      tf.sum(x, [...new Set([axis, 2 - axis])])
    )
  })

  const products: [number[], number[], boolean, boolean][] = [
    [[3, 4], [4, 5], false, false],
    [[2, 3, 4], [4, 5], false, false],
    [[2, 4, 3], [2, 4, 7], true, false],
    [[1, 3, 4], [2, 6, 4], false, true],
    [[2, 4, 3], [5, 4], true, true],
    [[2, 1, 3, 9], [3, 9, 6], false, false]
  ]
  test.each(products)('matMul %j by %j (transposed %s, %s)', (left, right, ta, tb) => {
    const a = random(11, left)
    const b = random(12, right)
    // tfjs's cpu matMul gives half the values where both operands broadcast: the reference broadcasts first.
    const batch = broadcastShape(left.slice(0, -2), right.slice(0, -2))
    const reference = tf.matMul(
      tf.broadcastTo(a, [...batch, ...left.slice(-2)]),
      tf.broadcastTo(b, [...batch, ...right.slice(-2)]),
      ta,
      tb
    )
    expectClose((ops, [x, y]) => ops.matMul(x, y, ta, tb), [a, b], reference)
    // A constant b (a weight) is arranged once, when recorded.
    const ops = new ArrayOps()
    const x = ops.input(a.shape)
    const out = ops.matMul(x, ops.constant(b.dataSync(), b.shape), ta, tb)
    const program = ops.compile([out])
    program.values(x).set(a.dataSync())
    program.run()
    const expected = reference.dataSync()
    program.values(out).forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-5))
  })

  test.each(attentionEquations)('einsum %s', (equation, left, right) => {
    const a = random(13, left)
    const b = random(14, right)
    expectClose((ops, [x, y]) => ops.einsum(equation, x, y), [a, b], tf.einsum(equation, a, b))
  })

  test('transpose, reverse, slice, broadcastTo and reshape, alone and read through one another', () => {
    const x = random(15, [2, 3, 4])
    expectClose((ops, [a]) => ops.transpose(a, [2, 0, 1]), [x], tf.transpose(x, [2, 0, 1]))
    expectClose((ops, [a]) => ops.reverse(a, 1), [x], tf.reverse(x, 1))
    expectClose((ops, [a]) => ops.slice(a, [1, 1, 0], [1, -1, 3]), [x], tf.slice(x, [1, 1, 0], [1, -1, 3]))
    expectClose((ops, [a]) => ops.broadcastTo(a, [3, 2, 3, 4]), [x], tf.broadcastTo(x, [3, 2, 3, 4]))
    expectClose((ops, [a]) => ops.reshape(a, [4, 6]), [x], tf.reshape(x, [4, 6]))
    // Views of views, read in place by an elementwise op, a copy and a reduction.
    const viewed = (ops: ArrayOps, a: ArrayOperand) =>
      ops.reshape(ops.slice(ops.transpose(ops.reverse(a, 2), [1, 0, 2]), [1, 0, 1], [2, 2, 3]), [2, 1, 2, 3])
    const expected = tf.reshape(
      tf.slice(tf.transpose(tf.reverse(x, 2), [1, 0, 2]), [1, 0, 1], [2, 2, 3]),
      [2, 1, 2, 3]
    )
    expectClose((ops, [a]) => ops.mul(viewed(ops, a), viewed(ops, a)), [x], tf.square(expected))
    expectClose((ops, [a]) => ops.sigmoid(viewed(ops, a)), [x], tf.sigmoid(expected))
    expectClose(
      (ops, [a]) => ops.concat([viewed(ops, a), ops.neg(viewed(ops, a))], 1),
      [x],
      tf.concat([expected, tf.neg(expected)], 1)
    )
    expectClose((ops, [a]) => ops.reduce('Max', viewed(ops, a), 3), [x], tf.max(expected, 3, true))
  })

  test('concat, stackAlong, unstack, split and padSteps', () => {
    const a = random(16, [2, 3, 4])
    const b = random(17, [2, 3, 4])
    const c = random(18, [2, 3, 2])
    expectClose((ops, [x, y, z]) => ops.concat([x, y, z], 2), [a, b, c], tf.concat([a, b, c], 2))
    expectClose((ops, [x, y]) => ops.stackAlong([x, y], 1), [a, b], tf.stack([a, b], 1))
    expectClose((ops, [x, y]) => ops.stack([x, y]), [a, b], tf.stack([a, b]))
    expectClose((ops, [x]) => ops.unstack(x, 1)[2], [a], tf.unstack(a, 1)[2])
    expectClose((ops, [x]) => ops.split(x, [1, 3], 2)[1], [a], tf.split(a, [1, 3], 2)[1])
    const x4 = random(19, [1, 2, 5, 3])
    expectClose(
      (ops, [x]) => ops.padSteps(x, 2, 1),
      [x4],
      tf.pad(x4, [
        [0, 0],
        [0, 0],
        [2, 1],
        [0, 0]
      ])
    )
  })

  /** The grouped, explicitly padded, dilated convolution as per-group conv2d. */
  function groupedReference(
    x: tf.Tensor,
    filter: tf.Tensor,
    groups: number,
    dilation: number,
    pads: [number, number]
  ) {
    const [, batch, steps, channels] = x.shape
    const [, taps, inputs, grouped] = filter.shape
    const outputs = grouped / groups
    return tf.concat(
      Array.from({ length: groups }, (_, g) =>
        tf.conv2d(
          tf.slice(x, [0, 0, 0, g * inputs], [1, batch, steps, channels / groups]) as tf.Tensor4D,
          tf.slice(filter, [0, 0, 0, g * outputs], [1, taps, inputs, outputs]) as tf.Tensor4D,
          1,
          [[0, 0], [0, 0], pads, [0, 0]],
          'NHWC',
          [1, dilation]
        )
      ),
      3
    )
  }

  // Groups, dilation, causal and two-sided padding, odd and even steps, filter counts that are and are not
  // multiples of the loop's block of four.
  const convolutions: [number, number, number, number, number, number, number, number, number][] = [
    // batch, steps, inputs, groups, outputs, taps, dilation, padBefore, padAfter
    [1, 9, 3, 1, 4, 3, 1, 2, 0],
    [2, 9, 3, 2, 5, 3, 2, 4, 0],
    [1, 8, 1, 1, 16, 2, 4, 4, 0],
    [3, 7, 2, 5, 6, 2, 3, 1, 2],
    [1, 6, 4, 2, 3, 1, 1, 0, 0]
  ]
  test.each(convolutions)(
    'convolve: batch %i, %i steps, %i inputs x %i groups, %i outputs, %i taps, dilation %i, padding %i+%i',
    (batch, steps, inputs, groups, outputs, taps, dilation, padBefore, padAfter) => {
      const x = random(20, [1, batch, steps, groups * inputs])
      const filter = random(21, [1, taps, inputs, groups * outputs])
      const bias = random(22, [groups * outputs])
      const geometry = { dilation, padBefore, padAfter }
      const expected = groupedReference(x, filter, groups, dilation, [padBefore, padAfter])
      expectClose((ops, [a, f]) => ops.convolve(a, f, geometry), [x, filter], expected)
      // The bias add and ReLU a convolution records into itself, and a bias add after the ReLU, which it must not.
      expectClose(
        (ops, [a, f, b]) => ops.relu(ops.biasAdd(ops.convolve(a, f, geometry), b)),
        [x, filter, bias],
        tf.relu(tf.add(expected, bias))
      )
      expectClose(
        (ops, [a, f, b]) => ops.biasAdd(ops.relu(ops.convolve(a, f, geometry)), b),
        [x, filter, bias],
        tf.add(tf.relu(expected), bias)
      )
      // The convolution without its bias stays where something else reads it.
      expectClose(
        (ops, [a, f, b]) => {
          const plain = ops.convolve(a, f, geometry)
          return ops.sub(ops.relu(ops.biasAdd(plain, b)), plain)
        },
        [x, filter, bias],
        tf.sub(tf.relu(tf.add(expected, bias)), expected)
      )
    }
  )

  test('convolutions sharing a padded copy (the same layout, different taps and dilations) stay apart', () => {
    // Each copies only the ends of x that its edge positions read; the other's stale values must not leak in.
    const pads = { padBefore: 3, padAfter: 2 }
    const cases = [
      { taps: 2, dilation: 1 },
      { taps: 3, dilation: 2 },
      { taps: 4, dilation: 3 }
    ]
    const filters = cases.map(({ taps }, i) => random(40 + i, [1, taps, 3, 4]))
    const ops = new ArrayOps()
    const x = ops.input([1, 2, 11, 3])
    const outputs = cases.map(({ dilation }, i) =>
      ops.convolve(x, ops.constant(filters[i].dataSync(), filters[i].shape), { dilation, ...pads })
    )
    const program = ops.compile(outputs)
    for (const seed of [50, 51]) {
      const input = random(seed, [1, 2, 11, 3])
      program.values(x).set(input.dataSync())
      program.run()
      cases.forEach(({ dilation }, i) => {
        const expected = groupedReference(input, filters[i], 1, dilation, [pads.padBefore, pads.padAfter])
        expect(outputs[i].shape).toEqual(expected.shape)
        const reference = expected.dataSync()
        program
          .values(outputs[i])
          .forEach((value, k) => expect(Math.abs(value - reference[k])).toBeLessThan(1e-5))
      })
    }
  })

  test.each([
    [
      [2, 6, 1, 4],
      [3, 1, 4, 3]
    ],
    [
      [1, 5, 4, 2],
      [3, 2, 2, 5]
    ],
    [
      [1, 7, 3, 6],
      [4, 3, 6, 2]
    ]
  ])('convolveSame of %j by %j', (xShape, filterShape) => {
    const x = random(23, xShape)
    const filter = random(24, filterShape)
    expectClose(
      (ops, [a, f]) => ops.convolveSame(a, f),
      [x, filter],
      tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same')
    )
  })

  test('compiling keeps only what the outputs depend on', () => {
    const ops = new ArrayOps()
    const x = ops.input([3, 4])
    const kept = ops.sigmoid(x)
    ops.tanh(ops.mul(x, x))
    const program = ops.compile([kept])
    expect(program.instructions).toBe(1)
  })

  test('the convolutions gradients are refused as training-only', () => {
    const ops = new ArrayOps()
    const x = ops.input([1, 1, 4, 2])
    expect(() => ops.convolveFilterGradient(x, x, 2, { dilation: 1, padBefore: 1, padAfter: 0 })).toThrow(
      /inference only/
    )
    expect(() => ops.convolveSameInputGradient([1, 1, 4, 2], x, x)).toThrow(/inference only/)
  })
})

describe('the plain-JS path has no model-specific code', () => {
  const root = path.join(__dirname, '..', '..', 'src-main', 'engine')
  const importsOf = (file: string) =>
    [...readFileSync(path.join(root, file), 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map(
      (match) => match[1]
    )

  test('the executor imports only the operations interface and its own loops', () => {
    for (const file of ['executors/array-ops.ts', 'executors/array-kernels.ts'])
      for (const source of importsOf(file)) expect(source, file).toMatch(/^(\.\.\/ops\/|\.\/array-)/)
  })

  test('the predictor walks the model: it imports no model, layer or pass code', () => {
    const sources = importsOf('inference/plain-js-predictor.ts')
    expect(sources).toContain('./model-forward')
    for (const source of sources) expect(source).not.toMatch(/(model|layers|passes)\//)
  })
})
