import * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import { ChannelSpatialAttention, TemporalAveragePool } from '../layers'
import { modelLayers, type BuildModelOptions } from './model-layers'
import { weightSeed } from '../layers/initializers'
import type { NativeRateModelConfig, Sensor } from './config'

export interface BranchGroup {
  /** Sensors computed together: same length and channel count. */
  sensors: Sensor[]
  steps: number
  channels: number
}

export function sensorSteps(sensor: Sensor, windowSeconds: number): number {
  const steps = sensor.rateHz * windowSeconds
  if (!Number.isInteger(steps)) {
    throw new ValidationError(
      `sensor ${sensor.name}: ${sensor.rateHz} Hz x ${windowSeconds} s is not a whole number of samples`,
      'windowSeconds'
    )
  }
  return steps
}

/** Sensors of equal length and channel count run as one grouped branch; order follows the config. */
export function branchGroups(config: NativeRateModelConfig): BranchGroup[] {
  const groups: BranchGroup[] = []
  for (const sensor of config.sensors) {
    const steps = sensorSteps(sensor, config.windowSeconds)
    const group = groups.find(
      (candidate) => candidate.steps === steps && candidate.channels === sensor.channels
    )
    if (group) group.sensors.push(sensor)
    else groups.push({ sensors: [sensor], steps, channels: sensor.channels })
  }
  return groups
}

export function fusionSteps(config: NativeRateModelConfig): number {
  const groups = branchGroups(config)
  const steps = config.fusionSteps ?? Math.min(...groups.map((group) => group.steps))
  for (const group of groups) {
    if (group.steps % steps !== 0) {
      const names = group.sensors.map((sensor) => sensor.name).join(', ')
      throw new ValidationError(
        `branch ${names} has ${group.steps} steps, not a multiple of ${steps}`,
        'fusionSteps'
      )
    }
  }
  return steps
}

/**
 * Native-rate EmoHeal: one branch per sensor at its own rate (a TCN of dilated causal blocks with channel and
 * spatial attention), each pooled to a common length and concatenated on features, then a BiGRU, dropout and a
 * dense softmax. Inputs, one per sensor in config order: [B, rateHz * windowSeconds, channels].
 */
export function buildNativeRateModel(
  config: NativeRateModelConfig,
  options: BuildModelOptions = {}
): tf.LayersModel {
  const { seed, policy } = options
  const layers = modelLayers(options)
  const commonSteps = fusionSteps(config)
  const inputs = new Map<string, tf.SymbolicTensor>()
  for (const sensor of config.sensors) {
    if (inputs.has(sensor.name)) throw new ValidationError(`sensor ${sensor.name} is listed twice`, 'sensors')
    inputs.set(
      sensor.name,
      tf.input({ shape: [sensorSteps(sensor, config.windowSeconds), sensor.channels], name: sensor.name })
    )
  }
  const pooled = branchGroups(config).map((group, groupIndex) => {
    const prefix = group.sensors.map((sensor) => sensor.name).join('_')
    const groupInputs = group.sensors.map((sensor) => inputs.get(sensor.name) as tf.SymbolicTensor)
    let x =
      groupInputs.length === 1
        ? groupInputs[0]
        : (tf.layers
            .concatenate({ axis: -1, name: `${prefix}_grouped` })
            .apply(groupInputs) as tf.SymbolicTensor)
    const groups = group.sensors.length
    config.dilations.forEach((dilation, index) => {
      x = layers
        .tcnBlock({
          name: `${prefix}_tcn_block_${index}`,
          groups,
          filters: config.filters,
          kernelSize: config.kernelSize,
          dilation,
          dropout: config.dropout,
          attention: config.attention === 'in-block',
          reduction: config.attentionReduction,
          seed: weightSeed(seed, 100 * (groupIndex + 1) + index)
        })
        .apply(x) as tf.SymbolicTensor
    })
    if (config.attention === 'after-tcn') {
      x = new ChannelSpatialAttention({
        name: `${prefix}_attention`,
        groups,
        reduction: config.attentionReduction,
        seed: weightSeed(seed, 100 * (groupIndex + 1) + 50),
        policy
      }).apply(x) as tf.SymbolicTensor
    }
    return new TemporalAveragePool({ name: `${prefix}_pool`, steps: commonSteps }).apply(
      x
    ) as tf.SymbolicTensor
  })
  let x =
    pooled.length === 1
      ? pooled[0]
      : (tf.layers.concatenate({ axis: -1, name: 'fusion' }).apply(pooled) as tf.SymbolicTensor)
  x = layers
    .gru({
      name: 'gru',
      units: config.gruUnits,
      numLayers: config.gruLayers,
      bidirectional: true,
      seed: weightSeed(seed, 1)
    })
    .apply(x) as tf.SymbolicTensor
  x = tf.layers.dropout({ rate: config.finalDropout, name: 'final_dropout' }).apply(x) as tf.SymbolicTensor
  x = layers
    .dense({ name: 'logits', units: config.classes, seed: weightSeed(seed, 2) })
    .apply(x) as tf.SymbolicTensor
  const output = tf.layers
    .activation({ activation: 'softmax', name: 'probabilities' })
    .apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: [...inputs.values()], outputs: output, name: 'emoheal_native_rate' })
}

/** Input shapes without the batch axis, in the model's input order. */
export function nativeRateInputShapes(
  config: NativeRateModelConfig
): { name: string; shape: [number, number] }[] {
  return config.sensors.map((sensor) => ({
    name: sensor.name,
    shape: [sensorSteps(sensor, config.windowSeconds), sensor.channels]
  }))
}
