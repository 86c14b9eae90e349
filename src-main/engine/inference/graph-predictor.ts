import * as tf from '@tensorflow/tfjs'
import type { WindowPredictor } from './plain-js-predictor'
import {
  graphFunction,
  graphFunctionsAvailable,
  type GraphOperand,
  type GraphOps
} from '../executors/graph-ops'
import { attentionSetup } from '../layers/attention-constants'
import type { TensorOps } from '../ops/tensor-ops'
import { attentionForward } from '../passes/channel-spatial-attention'
import { causalGeometry } from '../passes/grouped-convolution'
import { gruLayerForward } from '../passes/gru-layer'
import { tcnBlockForward } from '../passes/tcn-block'

/**
 * A whole model's inference as one TensorFlow function, for one window at a time (live prediction): the
 * layers' forward passes are the same passes (engine/passes/) the training layers run, chained in the model's
 * topological order, so one window costs one op call instead of a tfjs kernel per operation (~7 ms for the
 * native-rate model through model.predict on a slow 2-core machine) or the plain-JS pass (~5 ms there).
 * Weights are arguments, so a model whose weights change still predicts with the current ones. Returns null
 * where graph functions are absent or the model has a layer this does not know; the caller then takes the
 * plain-JS predictor.
 */

class UnsupportedLayer extends Error {}

interface LayerContext {
  ops: TensorOps<GraphOperand>
  /** The layer's weights by their original name (e.g. "first_kernel"), as function arguments. */
  weight: (name: string) => GraphOperand
  /** A constant tensor the layer needs, as a function argument. */
  constant: (tensor: tf.Tensor) => GraphOperand
}

type LayerForward = (layer: tf.layers.Layer, inputs: GraphOperand[], context: LayerContext) => GraphOperand

const config = (layer: tf.layers.Layer) => layer.getConfig() as Record<string, unknown>

function activation(ops: TensorOps<GraphOperand>, name: unknown, x: GraphOperand): GraphOperand {
  if (name === undefined || name === null || name === 'linear') return x
  if (name === 'relu') return ops.relu(x)
  if (name === 'softmax') return ops.softmax(x)
  throw new UnsupportedLayer(`activation ${String(name)}`)
}

const forwards: Record<string, LayerForward> = {
  InputLayer: (_, [x]) => x,
  Dropout: (_, [x]) => x,
  Activation: (layer, [x], { ops }) => activation(ops, config(layer).activation, x),
  Dense: (layer, [x], { ops, weight }) => {
    const { useBias, activation: name } = config(layer)
    const product = ops.matMul(x, weight('kernel'))
    return activation(ops, name, useBias === false ? product : ops.add(product, weight('bias')))
  },
  Reshape: (layer, [x], { ops }) => ops.reshape(x, [x.shape[0], ...(config(layer).targetShape as number[])]),
  Concatenate: (layer, inputs, { ops }) => {
    const axis = (config(layer).axis as number | undefined) ?? -1
    return ops.concat(inputs, axis < 0 ? inputs[0].shape.length + axis : axis)
  },
  EmohealLastTimeStep: (_, [x], { ops }) => {
    const [batch, steps, features] = x.shape
    return ops.reshape(ops.slice(x, [0, steps - 1, 0], [batch, 1, features]), [batch, features])
  },
  EmohealTemporalAveragePool: (layer, [x], { ops }) => {
    const [batch, length, features] = x.shape
    const steps = config(layer).steps as number
    if (length === steps) return x
    const pooled = ops.reduce('Mean', ops.reshape(x, [batch, steps, length / steps, features]), 2)
    return ops.reshape(pooled, [batch, steps, features])
  },
  EmohealChannelSpatialAttention: (layer, [x], { ops, weight, constant }) => {
    const [batch, steps, features] = x.shape
    const groups = config(layer).groups as number
    const { shape, extras } = attentionSetup(batch, steps, groups, features / groups)
    const weights = ['channel_attention_first', 'channel_attention_second', 'spatial_attention_kernel'].map(
      weight
    )
    return attentionForward(ops, [x, ...weights], extras.map(constant), shape).value
  },
  EmohealTcnResidualBlock: (layer, [x], { ops, weight, constant }) => {
    const { groups, kernelSize, dilation, attention } = config(layer) as {
      groups: number
      kernelSize: number
      dilation: number
      attention: boolean
    }
    const [batch, steps] = x.shape
    const outputs = layer.weights.find((w) => w.originalName.endsWith('first_kernel'))?.shape[2] as number
    const downsample = layer.weights.some((w) => w.originalName.endsWith('downsample_kernel'))
    const setup = attention ? attentionSetup(batch, steps, groups, outputs) : null
    return tcnBlockForward(
      ops,
      x,
      {
        firstKernel: weight('first_kernel'),
        firstBias: weight('first_bias'),
        secondKernel: weight('second_kernel'),
        secondBias: weight('second_bias'),
        downsampleKernel: downsample ? weight('downsample_kernel') : null,
        downsampleBias: downsample ? weight('downsample_bias') : null,
        attention: attention
          ? ['channel_attention_first', 'channel_attention_second', 'spatial_attention_kernel'].map(weight)
          : null
      },
      null,
      setup ? setup.extras.map(constant) : [],
      {
        groups,
        kernelSize,
        causal: causalGeometry(kernelSize, dilation),
        pointwise: causalGeometry(1, 1),
        attention: setup?.shape ?? null
      }
    ).value
  },
  EmohealPytorchGru: (layer, [x], { ops, weight }) => {
    const { numLayers, returnSequences } = config(layer) as {
      numLayers: number
      returnSequences: boolean
    }
    let out = x
    for (let index = 0; index < numLayers; index++) {
      const names = ['input_kernel', 'input_bias', 'recurrent_kernel', 'recurrent_bias']
      const lastStepOnly = index === numLayers - 1 && !returnSequences
      ;[out] = gruLayerForward(
        ops,
        out,
        names.map((name) => weight(`layer${index}_${name}`)),
        { lastStepOnly }
      )
    }
    return out
  }
}

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
  const values = new Map<number, GraphOperand>()
  model.inputs.forEach((input, i) => {
    const shape = [batch, ...(input.shape.slice(1) as number[])]
    operands.push(tf.zeros(shape))
    values.set(input.id, ops.argument(`in${i}`, shape))
  })
  const constants = new Map<tf.Tensor, GraphOperand>()
  for (const layer of model.layers) {
    const forward = forwards[layer.getClassName()]
    if (!forward) throw new UnsupportedLayer(layer.getClassName())
    const node = layer.inboundNodes[0]
    const inputs = node.inputTensors.map((tensor) => {
      const value = values.get(tensor.id)
      if (!value) throw new UnsupportedLayer(`${layer.name}: an input computed out of order`)
      return value
    })
    const byName = new Map(layer.weights.map((w) => [w.originalName.split('/').pop() as string, w]))
    const output = forward(layer, inputs, {
      ops,
      weight: (name) => {
        const variable = byName.get(name)
        if (!variable) throw new UnsupportedLayer(`${layer.name}: no weight ${name}`)
        return arg(variable.read())
      },
      constant: (tensor) => {
        let operand = constants.get(tensor)
        if (!operand) {
          operand = arg(tensor)
          constants.set(tensor, operand)
        }
        return operand
      }
    })
    values.set((layer.output as tf.SymbolicTensor).id, output)
  }
  const result = values.get((model.outputs[0] as tf.SymbolicTensor).id)
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
  const inputShapes = model.inputs.map((input) => [1, ...(input.shape.slice(1) as number[])])
  return (window) => {
    const parts = Array.isArray(window) ? window : [window]
    return tf.tidy(() => {
      const inputs = parts.map((values, i) => tf.tensor(values, inputShapes[i]))
      // Weights are read again at each call: a model trained further predicts with its current weights.
      const weights = operands.slice(inputCount)
      const [probabilities] = run([...inputs, ...weights])
      return probabilities.dataSync() as Float32Array
    })
  }
}
