import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types'
import { addAttentionWeights, type AttentionWeights } from './attention-weights'
import {
  causalShape,
  fromGroups,
  groupedChannelAttention,
  groupedConvolution,
  groupedSpatialAttention,
  toGroups
} from './grouped-ops'
import { dropout } from './dropout'
import { useCachedReshapeShapes } from './native-reshape'
import { convolutionInitializer, weightSeed } from './initializers'
import { isNativeBackend } from './native-ops'
import { nativeTcnBlock } from './native-tcn-block'

export type TcnBlockForm = 'auto' | 'op-by-op'

let blockForm: TcnBlockForm = 'auto'

/**
 * 'auto' (the default): on native TensorFlow a block, its in-block attention included, runs as one fused
 * pass with a hand-written backward (native-tcn-block.ts); 'op-by-op' forces the tfjs form everywhere, so that
 * tests can compare the two.
 */
export function setTcnBlockForm(value: TcnBlockForm): void {
  blockForm = value
}

const useNativeBlock = () => blockForm === 'auto' && isNativeBackend()

export interface TcnResidualBlockArgs extends LayerArgs {
  /** Independent branches; the input's features are G blocks of Cin channels. Default 1. */
  groups?: number
  /** Output channels per group. */
  filters: number
  kernelSize: number
  dilation: number
  /** Dropout rate after each convolution, in training only. Default 0. */
  dropout?: number
  /** Channel then spatial attention inside the block, after the two convolutions, as published. Default false. */
  attention?: boolean
  /** Channel attention's hidden units = max(1, filters // reduction). Default 16. */
  reduction?: number
  /**
   * Debug only: apply the attention after ReLU(out + residual) instead of before the residual sum. Exists so
   * that a test can show that PyTorch parity detects attention in the wrong place.
   */
  attentionAfterResidual?: boolean
  seed?: number
}

/**
 * A TCN residual block, grouped: conv -> ReLU -> dropout -> conv -> ReLU -> dropout, [channel and spatial
 * attention], then ReLU(out + residual), the residual through a 1x1 convolution where the channel count
 * changes. [B, T, G*Cin] -> [B, T, G*filters].
 */
export class TcnResidualBlock extends tf.layers.Layer {
  static className = 'EmohealTcnResidualBlock'
  readonly groups: number
  readonly filters: number
  readonly kernelSize: number
  readonly dilation: number
  readonly dropout: number
  readonly attention: boolean
  readonly reduction: number
  readonly attentionAfterResidual: boolean
  readonly seed?: number
  private firstKernel!: tf.LayerVariable
  private firstBias!: tf.LayerVariable
  private secondKernel!: tf.LayerVariable
  private secondBias!: tf.LayerVariable
  private downsampleKernel: tf.LayerVariable | null = null
  private downsampleBias: tf.LayerVariable | null = null
  private attentionWeights: AttentionWeights | null = null

  constructor(args: TcnResidualBlockArgs) {
    super(args)
    this.groups = args.groups ?? 1
    this.filters = args.filters
    this.kernelSize = args.kernelSize
    this.dilation = args.dilation
    this.dropout = args.dropout ?? 0
    this.attention = args.attention ?? false
    this.reduction = args.reduction ?? 16
    this.attentionAfterResidual = args.attentionAfterResidual ?? false
    this.seed = args.seed
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const inputChannels = ((inputShape as tf.Shape)[2] as number) / this.groups
    const { groups, filters, kernelSize, seed } = this
    const zeros = tf.initializers.zeros()
    this.firstKernel = this.addWeight(
      'first_kernel',
      [groups, kernelSize * inputChannels, filters],
      'float32',
      convolutionInitializer(weightSeed(seed, 0))
    )
    this.firstBias = this.addWeight('first_bias', [groups, filters], 'float32', zeros)
    this.secondKernel = this.addWeight(
      'second_kernel',
      [groups, kernelSize * filters, filters],
      'float32',
      convolutionInitializer(weightSeed(seed, 1))
    )
    this.secondBias = this.addWeight('second_bias', [groups, filters], 'float32', zeros)
    if (inputChannels !== filters) {
      this.downsampleKernel = this.addWeight(
        'downsample_kernel',
        [groups, inputChannels, filters],
        'float32',
        convolutionInitializer(weightSeed(seed, 2))
      )
      this.downsampleBias = this.addWeight('downsample_bias', [groups, filters], 'float32', zeros)
    }
    if (this.attention) {
      this.attentionWeights = addAttentionWeights(
        (name, shape, initializer) => this.addWeight(name, shape, 'float32', initializer),
        groups,
        filters,
        this.reduction,
        seed,
        3
      )
    }
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    return [shape[0], shape[1], this.groups * this.filters]
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    useCachedReshapeShapes()
    return tf.tidy(() => {
      const training = kwargs['training'] === true
      // The debug variant with attention after the residual sum stays op by op.
      const attention = this.attentionWeights
      if (!(attention && this.attentionAfterResidual) && useNativeBlock()) {
        return nativeTcnBlock(
          Array.isArray(inputs) ? inputs[0] : inputs,
          {
            firstKernel: this.firstKernel.read(),
            firstBias: this.firstBias.read(),
            secondKernel: this.secondKernel.read(),
            secondBias: this.secondBias.read(),
            downsampleKernel: this.downsampleKernel?.read() ?? null,
            downsampleBias: this.downsampleBias?.read() ?? null,
            attention: attention
              ? [attention.channelFirst.read(), attention.channelSecond.read(), attention.spatial.read()]
              : null
          },
          {
            groups: this.groups,
            kernelSize: this.kernelSize,
            dilation: this.dilation,
            dropout: training ? this.dropout : 0
          }
        )
      }
      const x = toGroups(Array.isArray(inputs) ? inputs[0] : inputs, this.groups)
      const shape = causalShape(this.kernelSize, this.dilation)
      let out: tf.Tensor4D = tf.relu(
        groupedConvolution(x, this.firstKernel.read(), this.firstBias.read(), shape)
      )
      if (training && this.dropout > 0) out = dropout(out, this.dropout) as tf.Tensor4D
      out = tf.relu(groupedConvolution(out, this.secondKernel.read(), this.secondBias.read(), shape))
      if (training && this.dropout > 0) out = dropout(out, this.dropout) as tf.Tensor4D
      if (this.attentionWeights && !this.attentionAfterResidual) out = this.attend(out, this.attentionWeights)
      const residual =
        this.downsampleKernel && this.downsampleBias
          ? groupedConvolution(x, this.downsampleKernel.read(), this.downsampleBias.read(), causalShape(1, 1))
          : x
      out = tf.relu(tf.add(out, residual)) as tf.Tensor4D
      if (this.attentionWeights && this.attentionAfterResidual) out = this.attend(out, this.attentionWeights)
      return fromGroups(out)
    })
  }

  private attend(x: tf.Tensor4D, weights: AttentionWeights): tf.Tensor4D {
    const weighted = groupedChannelAttention(x, weights.channelFirst.read(), weights.channelSecond.read())
    return groupedSpatialAttention(weighted, weights.spatial.read())
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      filters: this.filters,
      kernelSize: this.kernelSize,
      dilation: this.dilation,
      dropout: this.dropout,
      attention: this.attention,
      reduction: this.reduction,
      attentionAfterResidual: this.attentionAfterResidual,
      ...(this.seed !== undefined ? { seed: this.seed } : {})
    }
  }
}
tf.serialization.registerClass(TcnResidualBlock)
