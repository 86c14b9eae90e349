import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import { ValidationError } from '../../errors'
import { TfjsOps } from '../executors/tfjs-ops'
import { averagePoolSteps, lastTimeStep } from '../passes/time-steps'

/** [B, T, F] -> [B, F]: the last time step, as the published fusion reads each branch. */
export class LastTimeStep extends tf.layers.Layer {
  static className = 'EmohealLastTimeStep'

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    return [shape[0], shape[2]]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      return lastTimeStep(new TfjsOps(), Array.isArray(inputs) ? inputs[0] : inputs)
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
      return averagePoolSteps(new TfjsOps(), Array.isArray(inputs) ? inputs[0] : inputs, this.steps)
    })
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), steps: this.steps }
  }
}
tf.serialization.registerClass(TemporalAveragePool)
