import * as tf from '@tensorflow/tfjs'
import type { Initializer } from '@tensorflow/tfjs-layers/dist/initializers'

/** The published TCN's conv initialisation: weights drawn from N(0, 0.01). */
export function convolutionInitializer(seed?: number): Initializer {
  return tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed })
}

/** PyTorch's default for Linear, GRU and attention convs: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function pytorchUniformInitializer(fanIn: number, seed?: number): Initializer {
  const limit = 1 / Math.sqrt(fanIn)
  return tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed })
}

/** A distinct seed per weight, derived from the layer's seed, so that seeded models are reproducible. */
export function weightSeed(seed: number | undefined, index: number): number | undefined {
  return seed === undefined ? undefined : seed * 1009 + index
}
