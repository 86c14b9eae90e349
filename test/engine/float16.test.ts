import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { float16Bits, float16Value } from '../../src-main/engine/formats/float16'

describe('IEEE half precision', () => {
  it('gives the bits, rounding to nearest even', () => {
    expect(float16Bits(1)).toBe(0x3c00)
    expect(float16Bits(-2)).toBe(0xc000)
    expect(float16Bits(0)).toBe(0)
    expect(float16Bits(65504)).toBe(0x7bff)
    expect(float16Bits(1e5)).toBe(0x7c00)
    expect(float16Bits(-Infinity)).toBe(0xfc00)
    // 0.1 lies between 0x2e66 (0.0999755859375) and 0x2e67 (0.10003662109375), nearer the first.
    expect(float16Bits(0.1)).toBe(0x2e66)
    // Exactly halfway between 1 and the next half: ties go to the even mantissa.
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00)
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02)
    // Subnormal: 1e-7 = 1.68 units of 2^-24, so 2 units.
    expect(float16Bits(1e-7)).toBe(0x0002)
    expect(float16Bits(2 ** -14)).toBe(0x0400)
  })

  it("decodes every bit pattern as tfjs's own float16 weight decoder does, and encodes it back", () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i)
    const decoded = tf.io
      .decodeWeights(bits.buffer, [
        { name: 'w', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } }
      ])
      .w.dataSync()
    let nans = 0
    for (let i = 0; i < 65536; i++) {
      const value = float16Value(i)
      if (Number.isNaN(value)) {
        nans++
        expect(Number.isNaN(decoded[i])).toBe(true)
        continue
      }
      expect(value).toBe(decoded[i])
      // -0 encodes as 0x8000; every other finite or infinite pattern round-trips exactly.
      expect(float16Bits(value)).toBe(i)
    }
    // 2 * (2^10 - 1) NaN payloads.
    expect(nans).toBe(2046)
  })
})
