import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import { ValidationError } from '../../errors'
import { passExecutor, type ExecutionPolicy } from '../runtime/execution-policy'
import { runPass } from '../executors/run-pass'
import { denseActivations, densePass, type DenseActivation } from '../passes/dense'
import { pytorchUniformInitializer } from './initializers'

export interface EmohealDenseArgs extends LayerArgs {
  units: number
  /** Default 'linear'. */
  activation?: DenseActivation
  /** Default true. */
  useBias?: boolean
  /**
   * Seeds the kernel; seed + 1 seeds the bias. The builders pass weightSeed(modelSeed, i), whose next seed is
   * weightSeed(modelSeed, i + 1): the seeds their Linear layers have always had.
   */
  seed?: number
  /** How the layer's pass runs; not saved with the model (a loaded one takes its backend's). */
  policy?: ExecutionPolicy
}

/**
 * A fully connected layer, [.., I] -> [.., units], with PyTorch's Linear initialisation
 * (U(-1/sqrt(I), 1/sqrt(I)) for kernel and bias). The math is passes/dense.ts. Its weights are named as
 * tfjs's Dense names them (kernel [I, units], bias [units]), so that a model saved with tfjs Dense layers loads
 * into it (liftDenseLayers) and PyTorch's Linear weights map onto it by layer name.
 */
export class EmohealDense extends tf.layers.Layer {
  static className = 'EmohealDense'
  readonly units: number
  readonly activation: DenseActivation
  readonly useBias: boolean
  readonly seed?: number
  private readonly policy?: ExecutionPolicy
  private kernel!: tf.LayerVariable
  private bias: tf.LayerVariable | null = null

  constructor(args: EmohealDenseArgs) {
    super(args)
    const activation = args.activation ?? 'linear'
    if (!denseActivations.includes(activation))
      throw new ValidationError(
        `dense layer ${this.name}: activation ${String(activation)} is not one of ${denseActivations.join(', ')}`,
        'model'
      )
    this.units = args.units
    this.activation = activation
    this.useBias = args.useBias ?? true
    this.seed = args.seed
    this.policy = args.policy
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape
    const inputs = shape[shape.length - 1] as number
    const seed = this.seed
    this.kernel = this.addWeight(
      'kernel',
      [inputs, this.units],
      'float32',
      pytorchUniformInitializer(inputs, seed)
    )
    this.bias = this.useBias
      ? this.addWeight(
          'bias',
          [this.units],
          'float32',
          pytorchUniformInitializer(inputs, seed === undefined ? undefined : seed + 1)
        )
      : null
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    return [...shape.slice(0, -1), this.units]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs
    const weights = this.bias ? [this.kernel.read(), this.bias.read()] : [this.kernel.read()]
    return runPass(
      passExecutor(this.policy),
      densePass({ activation: this.activation, useBias: this.useBias }),
      [x, ...weights]
    )
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      ...(this.seed !== undefined ? { seed: this.seed } : {})
    }
  }
}
tf.serialization.registerClass(EmohealDense)
