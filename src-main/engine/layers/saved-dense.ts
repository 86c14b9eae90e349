import { denseActivations } from '../passes/dense'
import { EmohealDense } from './dense'

type LayerJson = { class_name?: unknown; config?: Record<string, unknown> }

/** What EmohealDense has no form of: a tfjs Dense with any of these set stays a tfjs Dense. */
const unsupported = [
  'kernel_regularizer',
  'bias_regularizer',
  'activity_regularizer',
  'kernel_constraint',
  'bias_constraint'
]

function liftable(config: Record<string, unknown>): boolean {
  const activation = config.activation ?? 'linear'
  return (
    (denseActivations as readonly unknown[]).includes(activation) &&
    unsupported.every((key) => config[key] === undefined || config[key] === null)
  )
}

function liftLayer(layer: LayerJson): LayerJson {
  const config = layer.config ?? {}
  if (Array.isArray(config.layers)) return { ...layer, config: liftLayers(config) }
  if (layer.class_name !== 'Dense' || !liftable(config)) return layer
  // The initializers are dropped: a loaded layer's weights are the saved ones.
  const kept = ['name', 'trainable', 'dtype', 'batch_input_shape', 'units', 'activation', 'use_bias']
  return {
    ...layer,
    class_name: EmohealDense.className,
    config: Object.fromEntries(kept.filter((key) => key in config).map((key) => [key, config[key]]))
  }
}

function liftLayers(config: Record<string, unknown>): Record<string, unknown> {
  return { ...config, layers: (config.layers as LayerJson[]).map(liftLayer) }
}

/**
 * A saved model topology (Keras JSON, as model.json holds it) with its tfjs Dense layers as EmohealDense,
 * which runs the dense pass: models saved before the engine had its own dense layer train and predict
 * through the same pass as new ones. Same weight names and shapes, so the saved weights load unchanged.
 * A Dense with a regularizer, a constraint or another activation is left to tfjs.
 */
export function liftDenseLayers(topology: unknown): unknown {
  if (topology === null || typeof topology !== 'object' || topology instanceof ArrayBuffer) return topology
  const model = topology as LayerJson
  if (!model.config || !Array.isArray(model.config.layers)) return topology
  return { ...model, config: liftLayers(model.config) }
}
