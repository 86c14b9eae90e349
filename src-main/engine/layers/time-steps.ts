import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import { ValidationError } from '../../errors'

/** [B, T, F] -> [B, F]: the last time step, as the published fusion reads each branch. */
export class LastTimeStep extends tf.layers.Layer {
  static className = 'EmohealLastTimeStep'

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    return [shape[0], shape[2]]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs
      const [batch, steps, features] = x.shape
      return tf.reshape(tf.slice(x, [0, steps - 1, 0], [batch, 1, features]), [batch, features])
    })
  }
}
tf.serialization.registerClass(LastTimeStep)

export interface TemporalAveragePoolArgs extends LayerArgs {
  /** Output length; the input length must be a multiple of it. */
  steps: number
}

/** [B, T, F] -> [B, steps, F] by averaging T/steps consecutive steps: brings branches to a common length. */
export class TemporalAveragePool extends tf.layers.Layer {
  static className = 'EmohealTemporalAveragePool'
  readonly steps: number

  constructor(args: TemporalAveragePoolArgs) {
    super(args)
    this.steps = args.steps
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const length = (inputShape as tf.Shape)[1] as number
    if (length % this.steps !== 0) {
      throw new ValidationError(
        `a branch of ${length} steps cannot be pooled to ${this.steps} steps`,
        'steps'
      )
    }
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    return [shape[0], this.steps, shape[2]]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs
      const [batch, length, features] = x.shape
      if (length === this.steps) return x
      return tf.mean(tf.reshape(x, [batch, this.steps, length / this.steps, features]), 2)
    })
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), steps: this.steps }
  }
}
tf.serialization.registerClass(TemporalAveragePool)
