import * as tf from '@tensorflow/tfjs'

/**
 * The same model (shared weights) ending at the logits, for losses computed from logits and for ensembles that
 * average logits.
 */
export function logitsModel(model: tf.LayersModel): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').output as tf.SymbolicTensor })
}
