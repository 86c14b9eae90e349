import * as tf from '@tensorflow/tfjs'

/**
 * Inverted dropout, as tf.dropout, with its mask (0 or 1 / keep) drawn in JavaScript by xorshift128 and
 * uploaded: one Mul forward and one backward. Drawing uniform noise in a kernel and turning it into a mask
 * (RandomUniform, Add, Floor, RealDiv) cost more: native TensorFlow's Philox took 0.63 ms for one
 * 32x320x16 mask, about 4 ns a number, and each mask kernel 0.07 ms; dropout was 40 of the 136 ms of a
 * native-rate training step (8 masks per branch). Here a number costs about 1 ns: each 32-bit draw gives
 * two 16-bit ones, compared without a branch (a random branch mispredicts). Dropout needs independent bits,
 * not cryptographic quality; the keep probability is rounded to a multiple of 1/65536 (0.8 -> 0.800003).
 */
const state = new Int32Array(4)

/**
 * Each mask starts from Math.random, as tf.randomUniform's did: a seeded run (withSeededMathRandom) draws the
 * same masks on every backend, where native TensorFlow's own RandomUniform could not be seeded that way.
 */
function seedFromMathRandom(): void {
  for (let i = 0; i < 4; i++) state[i] = Math.floor(Math.random() * 2 ** 32) | 0
  if (state.every((word) => word === 0)) state[0] = 1
}

function fillMask(mask: Float32Array, keep: number): void {
  const threshold = Math.round(keep * 65536)
  const scale = 1 / keep
  let [x, y, z, w] = state
  const pairs = mask.length >> 1
  for (let pair = 0; pair <= pairs; pair++) {
    const t = x ^ (x << 11)
    x = y
    y = z
    z = w
    w = (w ^ (w >>> 19) ^ t ^ (t >>> 8)) | 0
    // (v - threshold) >>> 31 is 1 where v < threshold: kept.
    const i = 2 * pair
    if (i < mask.length) mask[i] = scale * (((w & 0xffff) - threshold) >>> 31)
    if (i + 1 < mask.length) mask[i + 1] = scale * (((w >>> 16) - threshold) >>> 31)
  }
  state.set([x, y, z, w])
}

/** A dropout mask of `size` elements: 0, or 1 / (1 - rate) with probability 1 - rate. */
export function dropoutMask(size: number, rate: number): Float32Array {
  const mask = new Float32Array(size)
  seedFromMathRandom()
  fillMask(mask, 1 - rate)
  return mask
}

/** x * mask, each element kept with probability 1 - rate and scaled by 1 / (1 - rate). */
export function dropout(x: tf.Tensor, rate: number): tf.Tensor {
  if (rate <= 0) return x
  const mask = dropoutMask(x.size, rate)
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape)))
}
