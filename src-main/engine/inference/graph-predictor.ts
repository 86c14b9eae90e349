import * as tf from '@tensorflow/tfjs'
import {
  graphFunction,
  graphFunctionsAvailable,
  type GraphOperand,
  type GraphOps
} from '../executors/graph-ops'
import { UnsupportedLayer, walkModel } from './model-forward'
import { windowInputs, windowShapesOf, type WindowPredictor } from './window-predictor'

/**
 * A whole model's inference as one TensorFlow function, for one window at a time (live prediction): the
 * layers' forward passes are the same passes (engine/passes/) the training layers run, chained in the model's
 * topological order by walkModel (model-forward.ts), so one window costs one op call instead of a tfjs kernel
 * per operation (model.predict).
 * Weights are arguments, so a model whose weights change still predicts with the current ones. Returns null
 * where graph functions are absent or the model has a layer this does not know.
 */

/** Builds the model's function body for `batch` windows; its arguments: inputs, then `operands`. */
function buildBody(
  model: tf.LayersModel,
  batch: number,
  ops: GraphOps,
  operands: tf.Tensor[]
): GraphOperand[] {
  const arg = (tensor: tf.Tensor) => {
    operands.push(tensor)
    return ops.argument(`in${operands.length - 1}`, tensor.shape)
  }
  const inputs = model.inputs.map((input, i) => {
    const shape = [batch, ...(input.shape.slice(1) as number[])]
    operands.push(tf.zeros(shape))
    return ops.argument(`in${i}`, shape)
  })
  const outputs = walkModel(model, inputs, {
    ops,
    weight: (_layer, _name, variable) => arg(variable.read()),
    constant: arg
  })
  const result = outputs.get(model.outputLayers[0].name)
  if (!result) throw new UnsupportedLayer('the model output')
  return [result]
}

let compiled = 0

export function createGraphPredictor(model: tf.LayersModel): WindowPredictor | null {
  if (!graphFunctionsAvailable() || model.outputs.length !== 1) return null
  const operands: tf.Tensor[] = []
  let run: (inputs: tf.TensorInfo[]) => tf.Tensor[]
  try {
    // Each model gets its own function: its weights' shapes alone do not identify it.
    run = graphFunction(`model ${model.name} ${compiled++}`, (ops) => buildBody(model, 1, ops, operands))
  } catch (error) {
    tf.dispose(operands.slice(0, model.inputs.length))
    if (error instanceof UnsupportedLayer) return null
    throw error
  }
  const inputCount = model.inputs.length
  tf.dispose(operands.slice(0, inputCount))
  const inputShapes = windowShapesOf(model)
  return (window) => {
    const parts = windowInputs(window, inputShapes)
    return tf.tidy(() => {
      const inputs = parts.map((values, i) => tf.tensor(values, inputShapes[i]))
      // Weights are read again at each call: a model trained further predicts with its current weights.
      const weights = operands.slice(inputCount)
      const [probabilities] = run([...inputs, ...weights])
      return probabilities.dataSync() as Float32Array
    })
  }
}
