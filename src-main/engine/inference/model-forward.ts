import type * as tf from '@tensorflow/tfjs'
import { attentionSetup } from '../layers/attention-constants'
import type { Operand, TensorOps } from '../ops/tensor-ops'
import { attentionForward } from '../passes/channel-spatial-attention'
import { denseActivations, denseForward, type DenseActivation } from '../passes/dense'
import { causalGeometry } from '../passes/grouped-convolution'
import { gruLayerForward } from '../passes/gru-layer'
import { tcnBlockForward } from '../passes/tcn-block'
import { averagePoolSteps, lastTimeStep } from '../passes/time-steps'

/**
 * A whole model's inference written against TensorOps: each layer's forward pass is the pass (engine/passes/)
 * the training layers run, chained in the model's topological order. One walk for every executor that records
 * a whole model: the TensorFlow function of one-window prediction (graph-predictor.ts) and the ONNX export
 * (onnx/).
 */

export class UnsupportedLayer extends Error {}

export interface LayerContext<H extends Operand> {
  ops: TensorOps<H>
  /** The layer's weights by their original name (e.g. "first_kernel"). */
  weight: (name: string) => H
  /** A constant tensor the layer needs. */
  constant: (tensor: tf.Tensor) => H
}

type LayerForward = <H extends Operand>(layer: tf.layers.Layer, inputs: H[], context: LayerContext<H>) => H

const config = (layer: tf.layers.Layer) => layer.getConfig() as Record<string, unknown>

function activation<H extends Operand>(ops: TensorOps<H>, name: unknown, x: H): H {
  if (name === undefined || name === null || name === 'linear') return x
  if (name === 'relu') return ops.relu(x)
  if (name === 'softmax') return ops.softmax(x)
  throw new UnsupportedLayer(`activation ${String(name)}`)
}

const denseLayer: LayerForward = (layer, [x], { ops, weight }) => {
  const { useBias, activation: name = 'linear' } = config(layer) as { useBias?: boolean; activation?: string }
  if (!(denseActivations as readonly string[]).includes(name))
    throw new UnsupportedLayer(`activation ${name}`)
  const shape = { activation: name as DenseActivation, useBias: useBias !== false }
  const weights = shape.useBias ? [weight('kernel'), weight('bias')] : [weight('kernel')]
  return denseForward(ops, [x, ...weights], shape).value
}

const forwards: Record<string, LayerForward> = {
  InputLayer: (_, [x]) => x,
  Dropout: (_, [x]) => x,
  Activation: (layer, [x], { ops }) => activation(ops, config(layer).activation, x),
  EmohealDense: denseLayer,
  // A tfjs Dense (a model not loaded through loadModel, which lifts them to EmohealDense): the same pass.
  Dense: denseLayer,
  Reshape: (layer, [x], { ops }) => ops.reshape(x, [x.shape[0], ...(config(layer).targetShape as number[])]),
  Concatenate: (layer, inputs, { ops }) => {
    const axis = (config(layer).axis as number | undefined) ?? -1
    return ops.concat(inputs, axis < 0 ? inputs[0].shape.length + axis : axis)
  },
  EmohealLastTimeStep: (_, [x], { ops }) => lastTimeStep(ops, x),
  EmohealTemporalAveragePool: (layer, [x], { ops }) =>
    averagePoolSteps(ops, x, config(layer).steps as number),
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

export interface ModelWalkContext<H extends Operand> {
  ops: TensorOps<H>
  /** A weight of a layer, by the layer and the weight's original name. */
  weight: (layer: tf.layers.Layer, name: string, variable: tf.LayerVariable) => H
  /** A constant tensor, once per tensor. */
  constant: (tensor: tf.Tensor) => H
}

/**
 * Runs the model's layers on `inputs` (one per model input, in order) and returns every layer's output by the
 * layer's name. Throws UnsupportedLayer for a layer (or a variant of one) with no forward pass here.
 */
export function walkModel<H extends Operand>(
  model: tf.LayersModel,
  inputs: H[],
  context: ModelWalkContext<H>
): Map<string, H> {
  const values = new Map<number, H>()
  model.inputs.forEach((input, i) => values.set(input.id, inputs[i]))
  const outputs = new Map<string, H>()
  const constants = new Map<tf.Tensor, H>()
  for (const layer of model.layers) {
    const forward = forwards[layer.getClassName()]
    if (!forward) throw new UnsupportedLayer(layer.getClassName())
    const node = layer.inboundNodes[0]
    const layerInputs = node.inputTensors.map((tensor) => {
      const value = values.get(tensor.id)
      if (!value) throw new UnsupportedLayer(`${layer.name}: an input computed out of order`)
      return value
    })
    const byName = new Map(layer.weights.map((w) => [w.originalName.split('/').pop() as string, w]))
    const output = forward(layer, layerInputs, {
      ops: context.ops,
      weight: (name) => {
        const variable = byName.get(name)
        if (!variable) throw new UnsupportedLayer(`${layer.name}: no weight ${name}`)
        return context.weight(layer, name, variable)
      },
      constant: (tensor) => {
        let operand = constants.get(tensor)
        if (!operand) {
          operand = context.constant(tensor)
          constants.set(tensor, operand)
        }
        return operand
      }
    })
    values.set((layer.output as tf.SymbolicTensor).id, output)
    outputs.set(layer.name, output)
  }
  return outputs
}
