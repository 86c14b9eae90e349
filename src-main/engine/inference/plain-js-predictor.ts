import type * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import { ArrayOps, type ArrayOperand } from '../executors/array-ops'
import { UnsupportedLayer, walkModel } from './model-forward'

/**
 * One window's class probabilities. The input is one Float32Array per model input, row-major
 * [steps][channels] (the paper model has one input); a single array stands for a one-input model.
 */
export type WindowPredictor = (window: Float32Array | Float32Array[]) => Float32Array

function inputsOf(window: Float32Array | Float32Array[], expected: number[]): Float32Array[] {
  const inputs = Array.isArray(window) ? window : [window]
  if (inputs.length !== expected.length)
    throw new ValidationError(`the model takes ${expected.length} inputs, got ${inputs.length}`, 'window')
  inputs.forEach((input, index) => {
    if (input.length !== expected[index])
      throw new ValidationError(
        `input ${index} must hold ${expected[index]} values for one window, got ${input.length}`,
        'window'
      )
  })
  return inputs
}

/**
 * The model's forward pass in plain JavaScript, for live single-window inference where native TensorFlow
 * does not run it as one function: the layers' own passes (walkModel, model-forward.ts) recorded once over
 * ArrayOps (executors/array-ops.ts), then run as loops over buffers placed once. This model is so small that
 * any tfjs backend spends its time in per-kernel overhead, where the loops finish a window in milliseconds.
 * The weights are copied at creation; a predictor does not follow later training.
 */
export function createPlainJsPredictor(model: tf.LayersModel): WindowPredictor {
  const ops = new ArrayOps()
  const shapes = model.inputs.map((input) => [1, ...(input.shape.slice(1) as number[])])
  const inputs = shapes.map((shape) => ops.input(shape))
  let outputs: Map<string, ArrayOperand>
  try {
    outputs = walkModel(model, inputs, {
      ops,
      weight: (_layer, _name, variable) =>
        ops.constant(variable.read().dataSync() as Float32Array, variable.shape as number[]),
      constant: (tensor) => ops.constant(tensor.dataSync() as Float32Array, tensor.shape)
    })
  } catch (error) {
    if (error instanceof UnsupportedLayer)
      throw new ValidationError(`the plain-JS predictor does not know ${error.message}`, 'model')
    throw error
  }
  const result = outputs.get(model.outputLayers[0].name)
  if (!result) throw new ValidationError('the plain-JS predictor found no model output', 'model')
  const program = ops.compile([result])
  const buffers = inputs.map((input) => program.values(input))
  const probabilities = program.values(result)
  const expected = shapes.map((shape) => shape.reduce((product, size) => product * size, 1))
  return (window) => {
    inputsOf(window, expected).forEach((input, index) => buffers[index].set(input))
    program.run()
    return Float32Array.from(probabilities)
  }
}
