import * as tf from '@tensorflow/tfjs'
import { expect } from 'vitest'

/** A gradient of the input ('input') or of a trainable weight (its original name), flat. */
export interface NamedGradient {
  name: string
  values: ArrayLike<number>
}

/** tfjs's gradients of sum(layer(x) * projection) for the input and every trainable weight, in that order. */
export function analyticGradients(
  layer: tf.layers.Layer,
  x: tf.Tensor,
  projection: tf.Tensor
): NamedGradient[] {
  const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, projection)) as tf.Scalar
  const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
  const grads = variables.length > 0 ? tf.variableGrads(() => loss(x), variables).grads : {}
  return [
    { name: 'input', values: tf.grad(loss)(x).dataSync() },
    ...layer.trainableWeights.map((weight, i) => ({
      name: weight.originalName,
      values: grads[variables[i].name].dataSync()
    }))
  ]
}

/**
 * Checks `gradients` (the input's, then each trainable weight's, as analyticGradients orders them) of
 * sum(layer(x) * projection) against central finite differences, element by element. float32 differences: an
 * absolute floor plus a share of the gradient's scale. `nonVanishing`: also require each gradient to be
 * non-zero somewhere, so that agreement means something.
 */
export function expectFiniteDifferences(
  layer: tf.layers.Layer,
  x: tf.Tensor,
  projection: tf.Tensor,
  gradients: NamedGradient[],
  { epsilon = 1e-2, nonVanishing = false } = {}
): void {
  const lossValue = (input: tf.Tensor) =>
    tf.tidy(() => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, projection)).dataSync()[0])
  const targets = [
    { values: x.dataSync() as Float32Array, set: null as ((v: Float32Array) => void) | null },
    ...layer.trainableWeights.map((weight) => ({
      values: weight.read().dataSync().slice() as Float32Array,
      set: (v: Float32Array) => weight.write(tf.tensor(v, weight.shape as number[]))
    }))
  ]
  expect(gradients).toHaveLength(targets.length)
  targets.forEach((target, t) => {
    const { name, values: analytic } = gradients[t]
    let worst = 0
    let largest = 0
    for (let i = 0; i < target.values.length; i++) {
      const shifted = (delta: number) => {
        const v = target.values.slice()
        v[i] += delta
        if (!target.set) return lossValue(tf.tensor(v, x.shape))
        target.set(v)
        const value = lossValue(x)
        target.set(target.values)
        return value
      }
      const numeric = (shifted(epsilon) - shifted(-epsilon)) / (2 * epsilon)
      worst = Math.max(worst, Math.abs(numeric - analytic[i]))
      largest = Math.max(largest, Math.abs(analytic[i]))
    }
    if (nonVanishing) expect(largest, `${name}: gradient must not vanish`).toBeGreaterThan(1e-3)
    expect(worst, `${name}: analytic vs finite differences`).toBeLessThan(2e-3 + 1e-2 * largest)
  })
}
