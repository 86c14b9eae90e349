import { describe, expect, test } from 'vitest'
import { quantizePerChannel } from '../../src-main/engine/onnx/quantize'
import { evaluateEinsum } from '../../src-main/engine/onnx/fold-einsum'
import { numbers } from './layers-reference'

/** Dequantizes as ONNX's DequantizeLinear (axis 1 of [rows, columns]), then undoes the stored layout. */
function dequantized(q: ReturnType<typeof quantizePerChannel>, shape: number[]): Float32Array {
  const [rows, columns] = q.storedShape
  const permuted = new Float32Array(rows * columns)
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++)
      permuted[r * columns + c] = Math.fround((q.codes[r * columns + c] - q.zeroPoint[c]) * q.scale[c])
  // permutedShape -> shape by q.inverse (out axis i reads permuted axis inverse[i]).
  const out = new Float32Array(permuted.length)
  const strides = q.permutedShape.map((_, axis) => q.permutedShape.slice(axis + 1).reduce((a, b) => a * b, 1))
  const index = new Array<number>(shape.length).fill(0)
  for (let i = 0; i < out.length; i++) {
    out[i] = permuted[index.reduce((sum, value, axis) => sum + value * strides[q.inverse[axis]], 0)]
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++index[axis] < shape[axis]) break
      index[axis] = 0
    }
  }
  return out
}

describe('uint8 weights per output channel', () => {
  test.each([
    ['a dense kernel [in, out]', [7, 5]],
    ['a grouped kernel [G, k*C, F]', [3, 4, 6]]
  ])('%s: every value within half a step of its channel, zero exact', (_, shape) => {
    const count = shape.reduce((a, b) => a * b, 1)
    // Channels of very different ranges: one scale for all would lose the small ones.
    const values = Float32Array.from(
      numbers(count, 5, 1),
      (value, i) => value * (1 + (i % shape[shape.length - 1]) * 10)
    )
    values[3] = 0
    const q = quantizePerChannel(values, shape)
    const back = dequantized(q, shape)
    expect(back[3]).toBe(0)
    const columns = q.storedShape[1]
    expect(columns).toBe(shape.length === 2 ? shape[1] : shape[0] * shape[2])
    expect(new Set(q.scale).size).toBe(columns)
    let worst = 0
    for (let i = 0; i < count; i++) worst = Math.max(worst, Math.abs(back[i] - values[i]))
    expect(worst).toBeCloseTo(q.maxError, 6)
    expect(worst).toBeLessThanOrEqual(Math.max(...q.scale) / 2 + 1e-6)
  })
})

test('the weight-only einsum folded at export equals the plain sum over its labels', () => {
  const a = { values: Float32Array.from(numbers(2 * 3 * 4, 1)), shape: [2, 3, 4] }
  const b = { values: Float32Array.from(numbers(2 * 3 * 5, 2)), shape: [2, 3, 5] }
  const { values, shape } = evaluateEinsum('gmx,gmh->xh', a, b)
  expect(shape).toEqual([4, 5])
  for (let x = 0; x < 4; x++)
    for (let h = 0; h < 5; h++) {
      let sum = 0
      for (let g = 0; g < 2; g++)
        for (let m = 0; m < 3; m++) sum += a.values[(g * 3 + m) * 4 + x] * b.values[(g * 3 + m) * 5 + h]
      expect(values[x * 5 + h]).toBeCloseTo(sum, 5)
    }
})
