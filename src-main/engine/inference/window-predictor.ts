import * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'

/**
 * One window's class probabilities. The input is one Float32Array per model input, row-major
 * [steps][channels] (the paper model has one input); a single array stands for a one-input model.
 */
export type WindowPredictor = (window: Float32Array | Float32Array[]) => Float32Array

/** The shapes of one window's inputs to `model`: [1, steps, channels] each. */
export function windowShapesOf(model: tf.LayersModel): number[][] {
  return model.inputs.map((input) => [1, ...(input.shape.slice(1) as number[])])
}

/** One window's inputs, each checked against the size the model takes, so that a wrong one is named. */
export function windowInputs(window: Float32Array | Float32Array[], shapes: number[][]): Float32Array[] {
  const inputs = Array.isArray(window) ? window : [window]
  if (inputs.length !== shapes.length)
    throw new ValidationError(`the model takes ${shapes.length} inputs, got ${inputs.length}`, 'window')
  inputs.forEach((input, index) => {
    const size = shapes[index].reduce((product, extent) => product * extent, 1)
    if (input.length !== size)
      throw new ValidationError(
        `input ${index} must hold ${size} values for one window, got ${input.length}`,
        'window'
      )
  })
  return inputs
}

/**
 * One window through model.predict: the path left where neither native TensorFlow's functions nor ONNX
 * Runtime load, several times slower than either, because every tfjs kernel costs its own call.
 */
export function createModelPredictor(model: tf.LayersModel): WindowPredictor {
  const shapes = windowShapesOf(model)
  return (window) => {
    const inputs = windowInputs(window, shapes)
    return tf.tidy(() => {
      const tensors = inputs.map((values, i) => tf.tensor(values, shapes[i]))
      const output = model.predict(tensors.length === 1 ? tensors[0] : tensors) as tf.Tensor
      return output.dataSync() as Float32Array
    })
  }
}
