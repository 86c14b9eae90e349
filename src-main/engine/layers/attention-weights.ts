import type * as tf from '@tensorflow/tfjs'
import type { Initializer } from '@tensorflow/tfjs-layers/dist/initializers'
import { spatialKernelSize } from '../passes/channel-spatial-attention'
import { pytorchUniformInitializer, weightSeed } from './initializers'

export type AddWeight = (name: string, shape: number[], initializer: Initializer) => tf.LayerVariable

export interface AttentionWeights {
  channelFirst: tf.LayerVariable
  channelSecond: tf.LayerVariable
  spatial: tf.LayerVariable
}

/** The published ratio: hidden = channels // 16, at least 1. */
export function attentionHiddenUnits(channels: number, reduction: number): number {
  return Math.max(1, Math.floor(channels / reduction))
}

/** Channel attention's shared MLP [G, C, hidden], [G, hidden, C] and the spatial kernel [G, 7*2, 1]. */
export function addAttentionWeights(
  addWeight: AddWeight,
  groups: number,
  channels: number,
  reduction: number,
  seed: number | undefined,
  firstSeedIndex: number
): AttentionWeights {
  const hidden = attentionHiddenUnits(channels, reduction)
  return {
    channelFirst: addWeight(
      'channel_attention_first',
      [groups, channels, hidden],
      pytorchUniformInitializer(channels, weightSeed(seed, firstSeedIndex))
    ),
    channelSecond: addWeight(
      'channel_attention_second',
      [groups, hidden, channels],
      pytorchUniformInitializer(hidden, weightSeed(seed, firstSeedIndex + 1))
    ),
    spatial: addWeight(
      'spatial_attention_kernel',
      [groups, spatialKernelSize * 2, 1],
      pytorchUniformInitializer(spatialKernelSize * 2, weightSeed(seed, firstSeedIndex + 2))
    )
  }
}
