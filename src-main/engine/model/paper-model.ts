import * as tf from '@tensorflow/tfjs'
import { LastTimeStep } from '../layers'
import { modelLayers, type BuildModelOptions } from './model-layers'
import { weightSeed } from '../layers/initializers'
import { paperChannels, type PaperModelConfig } from './config'

/** Layer names the PyTorch name mapping relies on. */
export const paperLayerNames = {
  input: 'windows',
  block: (index: number) => `tcn_block_${index}`,
  fusionFirst: 'fusion_first',
  fusionSecond: 'fusion_second',
  gru: 'gru',
  logits: 'logits',
  probabilities: 'probabilities'
} as const

/**
 * The published EmoHeal: five TCNs (one per channel, run as one grouped computation) with channel and spatial
 * attention inside every block, the last step of each fused through Linear 128 -> ReLU -> Linear 125, a 2-layer
 * BiGRU over that sequence of length 1, dropout, Linear -> softmax. Input [B, steps, 5] in `paperChannels` order.
 */
export function buildPaperModel(config: PaperModelConfig, options: BuildModelOptions = {}): tf.LayersModel {
  const { seed } = options
  const layers = modelLayers(options)
  const groups = paperChannels.length
  const branchFeatures = groups * config.filters
  const input = tf.input({ shape: [config.steps, groups], name: paperLayerNames.input })
  let x: tf.SymbolicTensor = input
  config.dilations.forEach((dilation, index) => {
    x = layers
      .tcnBlock({
        name: paperLayerNames.block(index),
        groups,
        filters: config.filters,
        kernelSize: config.kernelSize,
        dilation,
        dropout: config.dropout,
        attention: true,
        reduction: config.attentionReduction,
        seed: weightSeed(seed, 100 + index)
      })
      .apply(x) as tf.SymbolicTensor
  })
  x = new LastTimeStep({ name: 'last_step' }).apply(x) as tf.SymbolicTensor
  // PyTorch's Linear (and its default initialisation, so that an untrained model starts where the published one
  // does); the ReLU between the two runs inside the first one's pass.
  x = layers
    .dense({
      name: paperLayerNames.fusionFirst,
      units: config.fusionUnits,
      activation: 'relu',
      seed: weightSeed(seed, 0)
    })
    .apply(x) as tf.SymbolicTensor
  x = layers
    .dense({ name: paperLayerNames.fusionSecond, units: branchFeatures, seed: weightSeed(seed, 2) })
    .apply(x) as tf.SymbolicTensor
  x = tf.layers
    .reshape({ targetShape: [1, branchFeatures], name: 'fusion_sequence' })
    .apply(x) as tf.SymbolicTensor
  x = layers
    .gru({
      name: paperLayerNames.gru,
      units: config.gruUnits,
      numLayers: config.gruLayers,
      bidirectional: true,
      seed: weightSeed(seed, 200)
    })
    .apply(x) as tf.SymbolicTensor
  x = tf.layers.dropout({ rate: config.finalDropout, name: 'final_dropout' }).apply(x) as tf.SymbolicTensor
  x = layers
    .dense({ name: paperLayerNames.logits, units: config.classes, seed: weightSeed(seed, 4) })
    .apply(x) as tf.SymbolicTensor
  const output = tf.layers.activation({ activation: 'softmax', name: paperLayerNames.probabilities }).apply(x)
  return tf.model({ inputs: input, outputs: output as tf.SymbolicTensor, name: 'emoheal_paper' })
}
