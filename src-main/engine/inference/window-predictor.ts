import type * as tf from '@tensorflow/tfjs'
import { createGraphPredictor } from './graph-predictor'
import { createPlainJsPredictor, type WindowPredictor } from './plain-js-predictor'

export interface OneWindowPath {
  predictor: WindowPredictor
  /** The whole model as one TensorFlow function (it reads the model's weights: keep the model), or plain JS. */
  path: 'tensorflow function' | 'javascript'
}

/**
 * How one window is classified: the whole model as one TensorFlow function built from the layers' passes
 * where native TensorFlow registers functions; elsewhere the plain-JS forward pass, which a machine without
 * native TensorFlow needs for the one-window target (`npm run bench:train` prints both beside model.predict
 * on wasm and cpu). Batches go through model.predict.
 */
export function createWindowPredictor(model: tf.LayersModel): OneWindowPath {
  const graph = createGraphPredictor(model)
  if (graph) return { predictor: graph, path: 'tensorflow function' }
  return { predictor: createPlainJsPredictor(model), path: 'javascript' }
}
