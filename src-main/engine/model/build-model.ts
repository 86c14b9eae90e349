import type * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import { modelConfigSchema, type ModelConfig, type ModelConfigInput } from './config'
import type { BuildModelOptions } from './model-layers'
import { buildNativeRateModel } from './native-rate-model'
import { buildPaperModel } from './paper-model'

/** Validates a config and fills its defaults; the error names the first bad field. */
export function parseModelConfig(input: ModelConfigInput | unknown): ModelConfig {
  const parsed = modelConfigSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue.path.join('.')
    throw new ValidationError(
      `model config${field ? ` field ${field}` : ''}: ${issue.message}`,
      field || 'config'
    )
  }
  return parsed.data
}

/** Builds either model from its config. The output is class probabilities; the layer 'logits' precedes it. */
export function buildModel(
  config: ModelConfigInput | ModelConfig,
  options: BuildModelOptions = {}
): tf.LayersModel {
  const parsed = parseModelConfig(config)
  return parsed.kind === 'paper' ? buildPaperModel(parsed, options) : buildNativeRateModel(parsed, options)
}
