import type * as tf from '@tensorflow/tfjs'
import { NotFoundError } from '../../errors'

/** A layer's weights copied out of tfjs once, keyed by their name inside the layer (e.g. first_kernel). */
export type LayerWeights = Map<string, Float64Array>

export function readLayerWeights(model: tf.LayersModel, layerName: string): LayerWeights {
  const layer = model.getLayer(layerName)
  const weights: LayerWeights = new Map()
  for (const variable of layer.weights) {
    const name = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1)
    weights.set(name, Float64Array.from(variable.read().dataSync() as Float32Array))
  }
  return weights
}

export function requireWeight(weights: LayerWeights, name: string, layerName: string): Float64Array {
  const values = weights.get(name)
  if (!values) throw new NotFoundError(`layer ${layerName} has no weight ${name}`)
  return values
}
