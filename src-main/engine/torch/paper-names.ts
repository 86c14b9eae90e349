import * as tf from '@tensorflow/tfjs'
import { FileFormatError } from '../../errors'
import { attentionHiddenUnits } from '../layers/attention-weights'
import { spatialKernelSize } from '../passes/channel-spatial-attention'
import { paperChannels, type PaperModelConfig } from '../model/config'
import { paperLayerNames } from '../model/paper-model'
import type { NamedTensor } from './safetensors'

/**
 * Where one PyTorch tensor of the published state_dict lives in our layers. Two kinds cover every tensor:
 * - matrix: torch (out, in, k) or (out, in) -> our [G, k*in, out] at group `group` (row j*in + c = torch [:, c, j]);
 *   convolutions, attention MLPs, Linear and GRU weights (one group per branch or per direction);
 * - vector: torch (n) -> our [G, n] at group `group`.
 */
export interface TorchPlacement {
  key: string
  /** Other names of the same tensor: the published blocks register conv1/conv2 again as net.0/net.4. */
  aliases: string[]
  shape: number[]
  layer: string
  weight: string
  group: number
  kind: 'matrix' | 'vector'
}

export function paperTorchPlacements(config: PaperModelConfig): TorchPlacement[] {
  const placements: TorchPlacement[] = []
  const add = (placement: Omit<TorchPlacement, 'aliases'> & { aliases?: string[] }) =>
    placements.push({ aliases: [], ...placement })
  const { filters, kernelSize } = config
  const hidden = attentionHiddenUnits(filters, config.attentionReduction)
  paperChannels.forEach((_, branch) => {
    config.dilations.forEach((__, block) => {
      const prefix = `frontends.${branch}.tcn.network.${block}`
      const layer = paperLayerNames.block(block)
      const inputChannels = block === 0 ? 1 : filters
      const convolutions: [string, string, string, number][] = [
        ['conv1', 'net.0', 'first', inputChannels],
        ['conv2', 'net.4', 'second', filters]
      ]
      for (const [name, alias, ours, inputs] of convolutions) {
        add({
          key: `${prefix}.${name}.weight`,
          aliases: [`${prefix}.${alias}.weight`],
          shape: [filters, inputs, kernelSize],
          layer,
          weight: `${ours}_kernel`,
          group: branch,
          kind: 'matrix'
        })
        add({
          key: `${prefix}.${name}.bias`,
          aliases: [`${prefix}.${alias}.bias`],
          shape: [filters],
          layer,
          weight: `${ours}_bias`,
          group: branch,
          kind: 'vector'
        })
      }
      if (inputChannels !== filters) {
        add({
          key: `${prefix}.downsample.weight`,
          shape: [filters, inputChannels, 1],
          layer,
          weight: 'downsample_kernel',
          group: branch,
          kind: 'matrix'
        })
        add({
          key: `${prefix}.downsample.bias`,
          shape: [filters],
          layer,
          weight: 'downsample_bias',
          group: branch,
          kind: 'vector'
        })
      }
      add({
        key: `${prefix}.ca.fc.0.weight`,
        shape: [hidden, filters, 1],
        layer,
        weight: 'channel_attention_first',
        group: branch,
        kind: 'matrix'
      })
      add({
        key: `${prefix}.ca.fc.2.weight`,
        shape: [filters, hidden, 1],
        layer,
        weight: 'channel_attention_second',
        group: branch,
        kind: 'matrix'
      })
      add({
        key: `${prefix}.sa.conv1.weight`,
        shape: [1, 2, spatialKernelSize],
        layer,
        weight: 'spatial_attention_kernel',
        group: branch,
        kind: 'matrix'
      })
    })
  })
  const fused = paperChannels.length * filters
  const linears: [string, string, number, number][] = [
    ['fc1', paperLayerNames.fusionFirst, config.fusionUnits, fused],
    ['fc2', paperLayerNames.fusionSecond, fused, config.fusionUnits],
    ['fc3', paperLayerNames.logits, config.classes, 2 * config.gruUnits]
  ]
  for (const [name, layer, out, inputs] of linears) {
    add({ key: `${name}.weight`, shape: [out, inputs], layer, weight: 'kernel', group: 0, kind: 'matrix' })
    add({ key: `${name}.bias`, shape: [out], layer, weight: 'bias', group: 0, kind: 'vector' })
  }
  const units = config.gruUnits
  for (let gruLayer = 0; gruLayer < config.gruLayers; gruLayer++) {
    const inputs = gruLayer === 0 ? fused : 2 * units
    for (const [direction, suffix] of ['', '_reverse'].entries()) {
      const tag = `l${gruLayer}${suffix}`
      const layer = paperLayerNames.gru
      add({
        key: `gru.weight_ih_${tag}`,
        shape: [3 * units, inputs],
        layer,
        weight: `layer${gruLayer}_input_kernel`,
        group: direction,
        kind: 'matrix'
      })
      add({
        key: `gru.weight_hh_${tag}`,
        shape: [3 * units, units],
        layer,
        weight: `layer${gruLayer}_recurrent_kernel`,
        group: direction,
        kind: 'matrix'
      })
      add({
        key: `gru.bias_ih_${tag}`,
        shape: [3 * units],
        layer,
        weight: `layer${gruLayer}_input_bias`,
        group: direction,
        kind: 'vector'
      })
      add({
        key: `gru.bias_hh_${tag}`,
        shape: [3 * units],
        layer,
        weight: `layer${gruLayer}_recurrent_bias`,
        group: direction,
        kind: 'vector'
      })
    }
  }
  return placements
}

function findVariable(model: tf.LayersModel, layerName: string, weightName: string): tf.LayerVariable {
  const layer = model.getLayer(layerName)
  const variable = layer.weights.find((candidate) => candidate.originalName.split('/').pop() === weightName)
  if (!variable) throw new Error(`model has no weight ${layerName}/${weightName}`)
  return variable
}

/** Visits each element: torch flat index -> our flat index. */
function forEachElement(
  placement: TorchPlacement,
  ourShape: number[],
  visit: (torchIndex: number, ourIndex: number) => void
) {
  if (placement.kind === 'vector') {
    const size = placement.shape[0]
    for (let i = 0; i < size; i++) visit(i, placement.group * size + i)
    return
  }
  const [outputs, inputs, taps = 1] = placement.shape
  const groupOffset = placement.group * taps * inputs * outputs
  // A Dense kernel [in, out] is the one-group case of [G, in, out].
  const [, rows, columns] = ourShape.length === 2 ? [1, ...ourShape] : ourShape
  if (rows !== taps * inputs || columns !== outputs) throw new Error(`${placement.key}: layout mismatch`)
  for (let o = 0; o < outputs; o++) {
    for (let c = 0; c < inputs; c++) {
      for (let j = 0; j < taps; j++)
        visit((o * inputs + c) * taps + j, groupOffset + (j * inputs + c) * outputs + o)
    }
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i])
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]))
}

/**
 * Writes a published state_dict into a paper model. Missing or unexpected keys, wrong shapes and two names of
 * the same tensor that disagree are errors naming the key. Returns the number of tensors read.
 */
export function importPaperWeights(
  model: tf.LayersModel,
  config: PaperModelConfig,
  tensors: Map<string, NamedTensor>,
  file: string
): number {
  const placements = paperTorchPlacements(config)
  const known = new Set(placements.flatMap((placement) => [placement.key, ...placement.aliases]))
  for (const key of tensors.keys()) {
    if (!known.has(key))
      throw new FileFormatError(file, `unexpected tensor ${key}: the paper model has no such weight`)
  }
  const targets = new Map<tf.LayerVariable, Float32Array>()
  for (const placement of placements) {
    const names = [placement.key, ...placement.aliases].filter((name) => tensors.has(name))
    if (names.length === 0) throw new FileFormatError(file, `missing tensor ${placement.key}`)
    const tensor = tensors.get(names[0]) as NamedTensor
    for (const name of names) {
      const candidate = tensors.get(name) as NamedTensor
      if (!sameShape(candidate.shape, placement.shape)) {
        throw new FileFormatError(
          file,
          `tensor ${name} has shape [${candidate.shape}], the paper model expects [${placement.shape}]`
        )
      }
      if (!sameData(candidate.data, tensor.data)) {
        throw new FileFormatError(file, `tensors ${names[0]} and ${name} name the same weight but differ`)
      }
    }
    const variable = findVariable(model, placement.layer, placement.weight)
    let target = targets.get(variable)
    if (!target) {
      target = new Float32Array(
        (variable.shape as number[]).reduce((product, size) => product * size, 1)
      ).fill(NaN)
      targets.set(variable, target)
    }
    const filled = target
    forEachElement(placement, variable.shape as number[], (torchIndex, ourIndex) => {
      filled[ourIndex] = tensor.data[torchIndex]
    })
  }
  const variables = model.trainableWeights
  if (targets.size !== variables.length)
    throw new Error(`the name mapping covers ${targets.size} of ${variables.length} weights`)
  for (const [variable, data] of targets) {
    if (data.some((value) => Number.isNaN(value)))
      throw new Error(`the name mapping leaves part of ${variable.originalName} unset`)
  }
  const byName = new Map([...targets].map(([variable, data]) => [variable.originalName, data]))
  // setWeights keeps the model's own weight order; build the list in that order.
  model.setWeights(
    model.weights.map((variable) => {
      const data = byName.get(variable.originalName)
      if (!data) throw new Error(`the name mapping misses ${variable.originalName}`)
      return variableTensor(variable, data)
    })
  )
  return new Set([...tensors.keys()]).size
}

function variableTensor(variable: tf.LayerVariable, data: Float32Array): tf.Tensor {
  return tf.tensor(data, variable.shape as number[])
}

/** The published state_dict of a paper model, with both names of the conv tensors, as load_state_dict expects. */
export function exportPaperWeights(
  model: tf.LayersModel,
  config: PaperModelConfig
): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>()
  const cache = new Map<tf.LayerVariable, Float32Array>()
  for (const placement of paperTorchPlacements(config)) {
    const variable = findVariable(model, placement.layer, placement.weight)
    let source = cache.get(variable)
    if (!source) {
      source = variable.read().dataSync() as Float32Array
      cache.set(variable, source)
    }
    const data = new Float32Array(placement.shape.reduce((product, size) => product * size, 1))
    const values = source
    forEachElement(placement, variable.shape as number[], (torchIndex, ourIndex) => {
      data[torchIndex] = values[ourIndex]
    })
    for (const name of [placement.key, ...placement.aliases])
      out.set(name, { shape: [...placement.shape], data })
  }
  return out
}
