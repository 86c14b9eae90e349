import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import { addAttentionWeights, type AttentionWeights } from './attention-weights'
import { fromGroups, groupedChannelAttention, groupedSpatialAttention, toGroups } from './grouped-ops'
import { nativeChannelSpatialAttention } from './native-attention'

export type AttentionForm = 'auto' | 'op-by-op'

let attentionForm: AttentionForm = 'auto'

/**
 * 'auto' (the default): on native TensorFlow the whole layer is one tfjs kernel with its own gradient, about
 * 20 native ops forward and 30 backward (native-attention.ts), where the grouped ops are over a hundred tfjs
 * kernels; elsewhere the grouped ops. 'op-by-op' forces the grouped ops everywhere (tests compare the two).
 */
export function setAttentionForm(value: AttentionForm): void {
  attentionForm = value
}

export interface ChannelSpatialAttentionArgs extends LayerArgs {
  /** Independent branches; the input's features are G blocks of C channels. Default 1. */
  groups?: number
  /** hidden units of channel attention = max(1, C // reduction). Default 16. */
  reduction?: number
  seed?: number
}

/** Channel attention then spatial attention along time, per group: [B, T, G*C] -> [B, T, G*C]. */
export class ChannelSpatialAttention extends tf.layers.Layer {
  static className = 'EmohealChannelSpatialAttention'
  readonly groups: number
  readonly reduction: number
  readonly seed?: number
  private attention!: AttentionWeights

  constructor(args: ChannelSpatialAttentionArgs = {}) {
    super(args)
    this.groups = args.groups ?? 1
    this.reduction = args.reduction ?? 16
    this.seed = args.seed
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
    const input = Array.isArray(inputs) ? inputs[0] : inputs
    if (attentionForm === 'auto' && tf.getBackend() === 'tensorflow') {
      return nativeChannelSpatialAttention(
        input,
        this.attention.channelFirst.read(),
        this.attention.channelSecond.read(),
        this.attention.spatial.read(),
        this.groups
      )
    }
    return tf.tidy(() => {
      const x = toGroups(input, this.groups)
      const weighted = groupedChannelAttention(
        x,
        this.attention.channelFirst.read(),
        this.attention.channelSecond.read()
      )
      return fromGroups(groupedSpatialAttention(weighted, this.attention.spatial.read()))
    })
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
