import type * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import type { ModelConfig, NativeRateModelConfig, PaperModelConfig } from '../model/config'
import { branchGroups, fusionSteps, sensorSteps } from '../model/native-rate-model'
import { paperLayerNames } from '../model/paper-model'
import { transposeBlocks } from './dot'
import { readLayerWeights, requireWeight, type LayerWeights } from './layer-weights'
import { dense, gruBuffers, gruLayer, softmax, type GruLayerWeights } from './recurrent'
import {
  attendInPlace,
  attentionScratchLength,
  averagePoolInto,
  createTcnStack,
  prepareConvolution,
  type AttentionWeights,
  type BlockWeights
} from './tcn'

/**
 * One window's class probabilities. The input is one Float32Array per model input, row-major
 * [steps][channels] (the paper model has one input); a single array stands for a one-input model.
 */
export type WindowPredictor = (window: Float32Array | Float32Array[]) => Float32Array

function attentionWeights(model: tf.LayersModel, layerName: string): AttentionWeights {
  const weights = readLayerWeights(model, layerName)
  return {
    channelFirst: requireWeight(weights, 'channel_attention_first', layerName),
    channelSecond: requireWeight(weights, 'channel_attention_second', layerName),
    spatial: requireWeight(weights, 'spatial_attention_kernel', layerName)
  }
}

interface BlockShape {
  groups: number
  kernelSize: number
  dilation: number
  filters: number
  attention: boolean
}

function blockWeights(model: tf.LayersModel, layerName: string, shape: BlockShape): BlockWeights {
  const weights = readLayerWeights(model, layerName)
  const { groups, kernelSize, dilation, filters } = shape
  const downsample = weights.get('downsample_kernel')
  return {
    first: prepareConvolution(
      requireWeight(weights, 'first_kernel', layerName),
      requireWeight(weights, 'first_bias', layerName),
      groups,
      kernelSize,
      dilation,
      filters
    ),
    second: prepareConvolution(
      requireWeight(weights, 'second_kernel', layerName),
      requireWeight(weights, 'second_bias', layerName),
      groups,
      kernelSize,
      dilation,
      filters
    ),
    downsample: downsample
      ? prepareConvolution(
          downsample,
          requireWeight(weights, 'downsample_bias', layerName),
          groups,
          1,
          1,
          filters
        )
      : null,
    attention: shape.attention ? attentionWeights(model, layerName) : null
  }
}

function gruWeights(model: tf.LayersModel, layerName: string, layers: number): GruLayerWeights[] {
  const weights = readLayerWeights(model, layerName)
  return Array.from({ length: layers }, (_, layer) => ({
    inputKernel: transposeVariable(model, layerName, weights, `layer${layer}_input_kernel`),
    recurrentKernel: transposeVariable(model, layerName, weights, `layer${layer}_recurrent_kernel`),
    inputBias: requireWeight(weights, `layer${layer}_input_bias`, layerName),
    recurrentBias: requireWeight(weights, `layer${layer}_recurrent_bias`, layerName)
  }))
}

/** A [..., rows, columns] weight as [..., columns, rows], for contiguous dot products. */
function transposeVariable(model: tf.LayersModel, layerName: string, weights: LayerWeights, name: string) {
  const values = requireWeight(weights, name, layerName)
  const variable = model
    .getLayer(layerName)
    .weights.find((weight) => weight.originalName.endsWith(`/${name}`))
  const shape = variable?.shape ?? []
  return transposeBlocks(values, shape[shape.length - 2] as number, shape[shape.length - 1] as number)
}

function denseWeights(model: tf.LayersModel, layerName: string) {
  const weights = readLayerWeights(model, layerName)
  return {
    kernel: transposeVariable(model, layerName, weights, 'kernel'),
    bias: requireWeight(weights, 'bias', layerName)
  }
}

/** The stacked BiGRU over [T][input], buffers allocated once: run() returns the last step [D*U]. */
function createGru(steps: number, inputSize: number, units: number, layers: GruLayerWeights[]) {
  const buffers = layers.map(() => gruBuffers(steps, units, 2))
  return (sequence: Float64Array): Float64Array => {
    let x = sequence
    let width = inputSize
    layers.forEach((weights, index) => {
      x = gruLayer(x, steps, width, units, 2, weights, buffers[index])
      width = 2 * units
    })
    return x.subarray((steps - 1) * width)
  }
}

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

function paperPredictor(model: tf.LayersModel, config: PaperModelConfig): WindowPredictor {
  const groups = 5
  const blocks = config.dilations.map((dilation, index) =>
    blockWeights(model, paperLayerNames.block(index), {
      groups,
      kernelSize: config.kernelSize,
      dilation,
      filters: config.filters,
      attention: true
    })
  )
  const fusionFirst = denseWeights(model, paperLayerNames.fusionFirst)
  const fusionSecond = denseWeights(model, paperLayerNames.fusionSecond)
  const gru = gruWeights(model, paperLayerNames.gru, config.gruLayers)
  const logits = denseWeights(model, paperLayerNames.logits)
  const stack = createTcnStack(blocks, config.steps, groups, 1)
  const gruRun = createGru(1, fusionSecond.bias.length, config.gruUnits, gru)
  return (window) => {
    const [input] = inputsOf(window, [config.steps * groups])
    stack.input.values.set(input, stack.input.at)
    const x = stack.run()
    const lastAt = x.at + (x.steps - 1) * groups * x.channels
    const last = x.values.subarray(lastAt, lastAt + groups * x.channels)
    const hidden = dense(last, fusionFirst.kernel, fusionFirst.bias)
    for (let i = 0; i < hidden.length; i++) if (hidden[i] < 0) hidden[i] = 0
    const fused = dense(hidden, fusionSecond.kernel, fusionSecond.bias)
    return softmax(dense(gruRun(fused), logits.kernel, logits.bias))
  }
}

function nativeRatePredictor(model: tf.LayersModel, config: NativeRateModelConfig): WindowPredictor {
  const commonSteps = fusionSteps(config)
  const groups = branchGroups(config)
  const sensorIndex = new Map(config.sensors.map((sensor, index) => [sensor.name, index]))
  const expected = config.sensors.map((sensor) => sensorSteps(sensor, config.windowSeconds) * sensor.channels)
  const branches = groups.map((group) => {
    const prefix = group.sensors.map((sensor) => sensor.name).join('_')
    return {
      group,
      blocks: config.dilations.map((dilation, index) =>
        blockWeights(model, `${prefix}_tcn_block_${index}`, {
          groups: group.sensors.length,
          kernelSize: config.kernelSize,
          dilation,
          filters: config.filters,
          attention: config.attention === 'in-block'
        })
      ),
      attention: config.attention === 'after-tcn' ? attentionWeights(model, `${prefix}_attention`) : null
    }
  })
  const gru = gruWeights(model, 'gru', config.gruLayers)
  const logits = denseWeights(model, 'logits')
  const featureWidth = groups.reduce((sum, group) => sum + group.sensors.length * config.filters, 0)
  const stacks = branches.map(({ group, blocks, attention }) => ({
    group,
    attention,
    stack: createTcnStack(blocks, group.steps, group.sensors.length, group.channels),
    scratch: new Float64Array(attentionScratchLength(group.steps, config.filters)),
    sources: group.sensors.map((sensor) => sensorIndex.get(sensor.name) as number)
  }))
  const sequence = new Float64Array(commonSteps * featureWidth)
  const gruRun = createGru(commonSteps, featureWidth, config.gruUnits, gru)
  return (window) => {
    const inputs = inputsOf(window, expected)
    let featureOffset = 0
    for (const { group, attention, stack, scratch, sources } of stacks) {
      const width = group.sensors.length * group.channels
      const { values, at } = stack.input
      // The grouped branch reads its sensors concatenated on features, in config order.
      sources.forEach((index, position) => {
        const source = inputs[index]
        for (let t = 0; t < group.steps; t++)
          for (let c = 0; c < group.channels; c++)
            values[at + t * width + position * group.channels + c] = source[t * group.channels + c]
      })
      const x = stack.run()
      if (attention) attendInPlace(x, attention, scratch)
      averagePoolInto(x, commonSteps, sequence, featureOffset, featureWidth)
      featureOffset += x.groups * x.channels
    }
    return softmax(dense(gruRun(sequence), logits.kernel, logits.bias))
  }
}

/**
 * A plain-JS forward pass over a loaded model's weights, for live single-window inference: this model is so
 * small that any tfjs backend spends its time in per-kernel overhead (hundreds of kernels), while loops over
 * Float64Arrays finish a window in well under a millisecond. The weights are copied at creation; a predictor
 * does not follow later training.
 */
export function createPlainJsPredictor(model: tf.LayersModel, config: ModelConfig): WindowPredictor {
  return config.kind === 'paper' ? paperPredictor(model, config) : nativeRatePredictor(model, config)
}
