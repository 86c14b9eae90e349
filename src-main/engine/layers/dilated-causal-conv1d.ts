import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import { passExecutor, type ExecutionPolicy } from '../runtime/execution-policy'
import { runPass } from '../executors/run-pass'
import { causalConvolutionPass } from '../passes/grouped-convolution'
import { convolutionInitializer, weightSeed } from './initializers'

export interface DilatedCausalConv1DArgs extends LayerArgs {
  /** Independent branches computed at once; the input's features are G blocks of Cin channels. Default 1. */
  groups?: number
  /** Output channels per group. */
  filters: number
  kernelSize: number
  /** Distance between taps; the output at step t sees steps t, t-d, ..., t-(k-1)d. Default 1. */
  dilation?: number
  /** Default true. */
  useBias?: boolean
  /** Seed of the N(0, 0.01) kernel initialisation. */
  seed?: number
  /** How the layer's pass runs; not saved with the model (a loaded one takes its backend's). */
  policy?: ExecutionPolicy
}

/** Dilated causal 1-D convolution, grouped: [B, T, G*Cin] -> [B, T, G*filters]. */
export class DilatedCausalConv1D extends tf.layers.Layer {
  static className = 'EmohealDilatedCausalConv1D'
  readonly groups: number
  readonly filters: number
  readonly kernelSize: number
  readonly dilation: number
  readonly useBias: boolean
  readonly seed?: number
  private readonly policy?: ExecutionPolicy
  private kernel!: tf.LayerVariable
  private bias: tf.LayerVariable | null = null

  constructor(args: DilatedCausalConv1DArgs) {
    super(args)
    this.groups = args.groups ?? 1
    this.filters = args.filters
    this.kernelSize = args.kernelSize
    this.dilation = args.dilation ?? 1
    this.useBias = args.useBias ?? true
    this.seed = args.seed
    this.policy = args.policy
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape
    const inputChannels = (shape[2] as number) / this.groups
    this.kernel = this.addWeight(
      'kernel',
      [this.groups, this.kernelSize * inputChannels, this.filters],
      'float32',
      convolutionInitializer(weightSeed(this.seed, 0))
    )
    if (this.useBias)
      this.bias = this.addWeight('bias', [this.groups, this.filters], 'float32', tf.initializers.zeros())
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    return [shape[0], shape[1], this.groups * this.filters]
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs
      const { groups, kernelSize, dilation, filters } = this
      const bias = this.bias ? this.bias.read() : tf.zeros([groups, filters])
      return runPass(passExecutor(this.policy), causalConvolutionPass({ groups, kernelSize, dilation }), [
        x,
        this.kernel.read(),
        bias
      ])
    })
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      filters: this.filters,
      kernelSize: this.kernelSize,
      dilation: this.dilation,
      useBias: this.useBias,
      ...(this.seed !== undefined ? { seed: this.seed } : {})
    }
  }
}
tf.serialization.registerClass(DilatedCausalConv1D)
