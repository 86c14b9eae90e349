import type * as tf from '@tensorflow/tfjs'
import { parseOrRefuse } from '../../errors'
import { modelConfigSchema, type ModelConfig, type ModelConfigInput } from './config'
import type { BuildModelOptions } from './model-layers'
import { buildNativeRateModel } from './native-rate-model'
import { buildPaperModel } from './paper-model'

/** Validates a config and fills its defaults; the error names the first bad field. */
export function parseModelConfig(input: ModelConfigInput | unknown): ModelConfig {
  return parseOrRefuse(modelConfigSchema, input, {
    whole: 'config',
    shown: (field) => (field === 'config' ? 'model config' : `model config field ${field}`)
  })
}

/** Builds either model from its config. The output is class probabilities; the layer 'logits' precedes it. */
export function buildModel(
  config: ModelConfigInput | ModelConfig,
  options: BuildModelOptions = {}
): tf.LayersModel {
  const parsed = parseModelConfig(config)
  return parsed.kind === 'paper' ? buildPaperModel(parsed, options) : buildNativeRateModel(parsed, options)
}
