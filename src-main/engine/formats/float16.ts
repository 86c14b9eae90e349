/** IEEE 754 half precision, as PyTorch's and safetensors' F16 weights, tfjs's float16 quantization and ONNX's float16 tensors store it. */

const float32View = new Float32Array(1)
const bitsView = new Uint32Array(float32View.buffer)

/** IEEE 754 half precision bits of a number, rounded to nearest even; overflow gives infinity. */
export function float16Bits(value: number): number {
  float32View[0] = value
  const bits = bitsView[0]
  const sign = (bits >>> 16) & 0x8000
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15
  let mantissa = bits & 0x7fffff
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0)
  if (exponent >= 0x1f) return sign | 0x7c00
  if (exponent <= 0) {
    // Subnormal half: the value in units of 2^-24.
    if (exponent < -10) return sign
    mantissa |= 0x800000
    const shift = 14 - exponent
    const half = mantissa >>> shift
    const remainder = mantissa & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    return sign | (remainder > halfway || (remainder === halfway && half & 1) ? half + 1 : half)
  }
  const half = (exponent << 10) | (mantissa >>> 13)
  const remainder = mantissa & 0x1fff
  // A carry out of the mantissa correctly moves to the next exponent (or to infinity).
  return sign | (remainder > 0x1000 || (remainder === 0x1000 && half & 1) ? half + 1 : half)
}

/** The number a half precision bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >>> 10) & 0x1f
  const mantissa = bits & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Infinity
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}
