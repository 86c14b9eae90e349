import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import { addAttentionWeights, type AttentionWeights } from './attention-weights'
import { passExecutor, type ExecutionPolicy } from '../runtime/execution-policy'
import { runPass } from '../executors/run-pass'
import { attentionPass } from '../passes/channel-spatial-attention'
import { attentionSetup } from './attention-constants'

export interface ChannelSpatialAttentionArgs extends LayerArgs {
  /** Independent branches; the input's features are G blocks of C channels. Default 1. */
  groups?: number
  /** hidden units of channel attention = max(1, C // reduction). Default 16. */
  reduction?: number
  seed?: number
  /** How the layer's pass runs; not saved with the model (a loaded one takes its backend's). */
  policy?: ExecutionPolicy
}

/**
 * Channel attention then spatial attention along time, per group: [B, T, G*C] -> [B, T, G*C]. The math is
 * passes/channel-spatial-attention.ts.
 */
export class ChannelSpatialAttention extends tf.layers.Layer {
  static className = 'EmohealChannelSpatialAttention'
  readonly groups: number
  readonly reduction: number
  readonly seed?: number
  private readonly policy?: ExecutionPolicy
  protected attention!: AttentionWeights

  constructor(args: ChannelSpatialAttentionArgs = {}) {
    super(args)
    this.groups = args.groups ?? 1
    this.reduction = args.reduction ?? 16
    this.seed = args.seed
    this.policy = args.policy
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = ((inputShape as tf.Shape)[2] as number) / this.groups
    this.attention = addAttentionWeights(
      (name, shape, initializer) => this.addWeight(name, shape, 'float32', initializer),
      this.groups,
      channels,
      this.reduction,
      this.seed,
      0
    )
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs
    const [batch, steps, features] = x.shape
    const { shape, extras } = attentionSetup(batch, steps, this.groups, features / this.groups)
    const { channelFirst, channelSecond, spatial } = this.attention
    return runPass(
      passExecutor(this.policy),
      attentionPass(shape),
      [x, channelFirst.read(), channelSecond.read(), spatial.read()],
      extras
    )
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      reduction: this.reduction,
      ...(this.seed !== undefined ? { seed: this.seed } : {})
    }
  }
}
tf.serialization.registerClass(ChannelSpatialAttention)
