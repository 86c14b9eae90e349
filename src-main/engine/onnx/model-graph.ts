import type * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import { paperChannels } from '../model/config'
import type { ModelManifest } from '../registry/model-files'
import { UnsupportedLayer, walkModel } from '../inference/model-forward'
import { normalizationFor, windowOptionsOf } from '../inference/session-inference'
import type { ChannelStats } from '../windows/normalize'
import { OnnxOps, floatBytes, symbolicBatch, type OnnxOperand } from './onnx-ops'
import { OnnxType, type OnnxModel, type OnnxValueInfo } from './onnx-proto'
import { quantizePerChannel, type QuantizedTensor } from './quantize'

/**
 * A saved model (or an ensemble of models trained alike) as one ONNX graph that takes raw sensor windows:
 * one input per stream at its native rate over the model's window, the model's preprocessing inside (the
 * paper preset's linear resampling by index as a fixed matrix, the acceleration magnitude, the z-score
 * statistics stored with the model), the members' logits averaged, and logits and probabilities out.
 */

export type OnnxDtype = 'float32' | 'float16' | 'uint8'
export const onnxDtypes: readonly OnnxDtype[] = ['float32', 'float16', 'uint8']
export const onnxOpset = 17

/** Units of the E4's streams, for the file's metadata and the model card. */
export const streamUnits: Record<string, string> = {
  hr: 'beats per minute (E4 HR.csv)',
  eda: 'microsiemens (E4 EDA.csv)',
  temp: 'degrees Celsius (E4 TEMP.csv)',
  bvp: 'E4 photoplethysmograph units (BVP.csv)',
  acc: '1/64 g per axis x, y, z (E4 ACC.csv)'
}

/** The E4's rates, for a paper model whose manifest does not record them. */
const e4Rates: Record<string, number> = { hr: 1, eda: 4, temp: 4, bvp: 64, acc: 32 }

export interface RawStream {
  name: string
  rateHz: number
  /** Samples per window: rate x window length. */
  samples: number
  channels: number
  units: string
}

export interface OnnxExportMember {
  model: tf.LayersModel
  manifest: ModelManifest
  /** Where it was loaded from, for the metadata. */
  source: string
}

export interface OnnxGraphOptions {
  dtype: OnnxDtype
  /** Whose normalization statistics the graph applies; default the pooled training statistics. */
  participant?: string
  appVersion: string
  /**
   * Take the model's own inputs, already prepared (resampled, normalized), instead of raw streams: the form the
   * app's live inference feeds its predictors.
   */
  modelInputs?: boolean
}

/** The streams an exported graph reads, in input order. */
export function rawStreamsOf(manifest: ModelManifest): RawStream[] {
  const options = windowOptionsOf(manifest)
  const seconds = options.windowMs / 1000
  const stream = (name: string, rateHz: number, channels: number): RawStream => {
    const samples = Math.round(rateHz * seconds)
    if (samples < 1) throw new ValidationError(`stream ${name}: no sample in a ${seconds} s window`, 'model')
    return { name, rateHz, samples, channels, units: streamUnits[name] ?? 'as recorded' }
  }
  if (manifest.config.kind === 'paper') {
    return ['hr', 'eda', 'temp', 'bvp', 'acc'].map((name) =>
      stream(name, manifest.sensorRates[name] ?? e4Rates[name], name === 'acc' ? 3 : 1)
    )
  }
  return manifest.config.sensors.map((sensor) => stream(sensor.name, sensor.rateHz, sensor.channels))
}

/** np.interp of n samples at np.linspace(0, n - 1, points), as a [points, n] matrix (resampleByIndex). */
export function resamplingMatrix(samples: number, points: number): Float32Array {
  const matrix = new Float32Array(points * samples)
  for (let k = 0; k < points; k++) {
    const position = points === 1 ? 0 : (k * (samples - 1)) / (points - 1)
    const low = Math.floor(position)
    const high = Math.min(samples - 1, low + 1)
    const fraction = position - low
    matrix[k * samples + low] += 1 - fraction
    matrix[k * samples + high] += fraction
  }
  return matrix
}

function float32Constant(ops: OnnxOps, values: ArrayLike<number>, shape: number[]): OnnxOperand {
  const previous = ops.precision
  ops.precision = 'float32'
  const constant = ops.floats(values, shape)
  ops.precision = previous
  return constant
}

/** The model's inputs from the raw streams, in float32: what extractWindows and normalizeInputs make. */
function preprocess(
  ops: OnnxOps,
  manifest: ModelManifest,
  streams: RawStream[],
  raw: OnnxOperand[],
  stats: ChannelStats[] | null
): OnnxOperand[] {
  let inputs: OnnxOperand[]
  if (manifest.config.kind === 'paper') {
    const points = manifest.config.steps
    const byName = new Map(streams.map((stream, i) => [stream.name, { stream, value: raw[i] }]))
    const columns = paperChannels.map((channel) => {
      const { stream, value } = byName.get(channel === 'acc_mag' ? 'acc' : channel)!
      const [batch, samples] = value.shape
      // The magnitude of the raw samples, then the resampling: what paperWindow computes.
      const series = channel === 'acc_mag' ? ops.sqrt(ops.sum(ops.mul(value, value), [2], true)) : value
      const matrix = float32Constant(ops, resamplingMatrix(stream.samples, points), [points, samples])
      return ops.node('MatMul', [matrix, series], [batch, points, 1])
    })
    inputs = [ops.concat(columns, 2)]
  } else {
    inputs = raw
  }
  if (!stats) return inputs
  return inputs.map((input, i) => {
    const { mean, std } = stats[i]
    const channels = input.shape[2]
    if (mean.length !== channels)
      throw new ValidationError(
        `the normalization of input ${i} has ${mean.length} channels, not ${channels}`,
        'model'
      )
    return ops.div(
      ops.sub(input, float32Constant(ops, mean, [channels])),
      float32Constant(ops, std, [channels])
    )
  })
}

/** Float weights stored in the file's precision; uint8: per output channel, dequantized in the graph. */
function weightOperand(
  ops: OnnxOps,
  name: string,
  values: Float32Array,
  shape: number[],
  dtype: OnnxDtype,
  quantized: QuantizedTensor[]
): OnnxOperand {
  // Small tensors (a spatial kernel of 14 values a group) gain nothing from uint8 and stay foldable as floats.
  if (dtype === 'uint8' && shape.length >= 2 && values.length >= 1024) {
    const q = quantizePerChannel(values, shape)
    quantized.push(q)
    const codes = ops.initializer(`${name}/quantized`, OnnxType.uint8, q.storedShape, q.codes)
    const scale = ops.initializer(
      `${name}/scale`,
      OnnxType.float,
      [q.scale.length],
      floatBytes(q.scale, 'float32')
    )
    const zero = ops.initializer(`${name}/zero_point`, OnnxType.uint8, [q.zeroPoint.length], q.zeroPoint)
    const stored = ops.node('DequantizeLinear', [codes, scale, zero], q.storedShape, {
      axis: { kind: 'int', value: 1 }
    })
    // Back from [reduced, output channels] to the engine's layout.
    const permuted = ops.reshape(stored, q.permutedShape)
    return ops.transpose(permuted, q.inverse)
  }
  return ops.floatWeight(name, values, shape)
}

export interface OnnxGraph {
  model: OnnxModel
  streams: RawStream[]
  /** uint8 only: the quantized tensors' largest weight error. */
  maxWeightError: number
}

function checkMembersAlike(members: OnnxExportMember[]): void {
  const [first] = members
  const key = (member: OnnxExportMember) =>
    JSON.stringify({
      config: member.manifest.config,
      labels: member.manifest.labels,
      window: windowOptionsOf(member.manifest),
      streams: rawStreamsOf(member.manifest)
    })
  for (const member of members.slice(1)) {
    if (key(member) !== key(first)) {
      throw new ValidationError(
        `ensemble members differ: ${member.source} is not configured as ${first.source} (config, labels, window or streams)`,
        'model'
      )
    }
  }
}

/** Builds the ONNX graph of one model or of an ensemble whose members' logits are averaged. */
export function buildOnnxGraph(members: OnnxExportMember[], options: OnnxGraphOptions): OnnxGraph {
  if (members.length === 0) throw new ValidationError('no model to export', 'model')
  checkMembersAlike(members)
  const { manifest } = members[0]
  if (
    manifest.config.kind === 'paper' &&
    manifest.inputChannels &&
    manifest.inputChannels.join(',') !== paperChannels.join(',')
  )
    throw new ValidationError(
      `the model's channels ${manifest.inputChannels.join(', ')} are not the paper's`,
      'model'
    )
  const streams = rawStreamsOf(manifest)
  const ops = new OnnxOps()
  const raw = options.modelInputs
    ? members[0].model.inputs.map((input, i) => ({
        name: `input${i}`,
        shape: [symbolicBatch, ...(input.shape.slice(1) as number[])]
      }))
    : streams.map((stream) => ({
        name: stream.name,
        shape: [symbolicBatch, stream.samples, stream.channels]
      }))
  ops.setBatchSource(raw[0])
  const quantized: QuantizedTensor[] = []
  const logits = members.map((member, index) => {
    const stats = normalizationFor(member.manifest, options.participant ?? null)
    let inputs = options.modelInputs ? raw : preprocess(ops, member.manifest, streams, raw, stats)
    const modelInputs = member.model.inputs.map((input) => input.shape.slice(1).join('x'))
    inputs.forEach((input, i) => {
      if (input.shape.slice(1).join('x') !== modelInputs[i])
        throw new ValidationError(
          `${member.source}: input ${i} is ${modelInputs[i]}, the preprocessing gives ${input.shape.slice(1).join('x')}`,
          'model'
        )
    })
    if (options.dtype === 'float16') {
      inputs = inputs.map((input) => ops.cast(input, OnnxType.float16))
      ops.precision = 'float16'
    }
    let outputs: Map<string, OnnxOperand>
    try {
      outputs = walkModel(member.model, inputs, {
        ops,
        weight: (_layer, _name, variable) =>
          weightOperand(
            ops,
            `m${index}/${variable.name}`,
            variable.read().dataSync() as Float32Array,
            variable.shape as number[],
            options.dtype,
            quantized
          ),
        constant: (tensor) => ops.floats(tensor.dataSync(), tensor.shape)
      })
    } catch (error) {
      if (error instanceof UnsupportedLayer)
        throw new ValidationError(`${member.source}: the ONNX export does not know ${error.message}`, 'model')
      throw error
    }
    ops.precision = 'float32'
    const memberLogits = outputs.get('logits')
    if (!memberLogits)
      throw new ValidationError(`${member.source}: the model has no layer named logits`, 'model')
    return memberLogits
  })
  if (options.dtype === 'float16') ops.precision = 'float16'
  let averaged = logits.reduce((sum, value) => ops.add(sum, value))
  if (logits.length > 1) averaged = ops.mul(averaged, ops.floatScalar(1 / logits.length))
  let probabilities = ops.softmax(averaged)
  if (options.dtype === 'float16') {
    averaged = ops.cast(averaged, OnnxType.float)
    probabilities = ops.cast(probabilities, OnnxType.float)
  }
  ops.precision = 'float32'
  // Graph outputs get their own names through Identity nodes.
  ops.nodes.push(
    { op: 'Identity', name: 'logits_out', inputs: [averaged.name], outputs: ['logits'], attributes: {} },
    {
      op: 'Identity',
      name: 'probabilities_out',
      inputs: [probabilities.name],
      outputs: ['probabilities'],
      attributes: {}
    }
  )
  // Weights no node reads (a GRU's recurrent kernel over a sequence of one step) stay out of the file.
  const read = new Set(ops.nodes.flatMap((node) => node.inputs))
  const initializers = ops.initializers.filter((tensor) => read.has(tensor.name))
  const classes = manifest.labels.length
  const inputs: OnnxValueInfo[] = raw.map((input) => ({
    name: input.name,
    type: OnnxType.float,
    dims: ['batch', ...input.shape.slice(1)]
  }))
  const outputs: OnnxValueInfo[] = ['logits', 'probabilities'].map((name) => ({
    name,
    type: OnnxType.float,
    dims: ['batch', classes]
  }))
  return {
    model: {
      producerVersion: options.appVersion,
      graphName: `emoheal_${manifest.config.kind}`,
      docString: `EmoHeal ${manifest.config.kind} model${members.length > 1 ? `, an ensemble of ${members.length}` : ''}: raw sensor windows in, class logits and probabilities out`,
      opset: onnxOpset,
      nodes: ops.nodes,
      initializers,
      inputs,
      outputs,
      metadata: metadataOf(members, streams, options)
    },
    streams,
    maxWeightError: quantized.reduce((max, q) => Math.max(max, q.maxError), 0)
  }
}

function metadataOf(
  members: OnnxExportMember[],
  streams: RawStream[],
  options: OnnxGraphOptions
): Record<string, string> {
  const { manifest } = members[0]
  const window = windowOptionsOf(manifest)
  const stats = manifest.normalization
  const normalization = !stats
    ? 'none (the model takes raw values)'
    : options.participant && stats.participants?.[options.participant]
      ? `z-score with participant ${options.participant}'s training statistics`
      : 'z-score with the pooled training statistics'
  return {
    'emoheal.format': 'emoheal-onnx/1',
    'emoheal.app_version': options.appVersion,
    'emoheal.preset': manifest.config.kind,
    'emoheal.config': JSON.stringify(manifest.config),
    'emoheal.inputs': JSON.stringify(streams),
    'emoheal.window_seconds': String(window.windowMs / 1000),
    'emoheal.model_channels': JSON.stringify(manifest.inputChannels ?? null),
    'emoheal.labels': JSON.stringify(manifest.labels),
    'emoheal.label_definition': JSON.stringify({
      target: window.target,
      labelSource: window.labelSource,
      threshold: window.threshold,
      rule: `class 1 where the rating > threshold`
    }),
    'emoheal.normalization': normalization,
    'emoheal.metrics': JSON.stringify(manifest.metrics),
    'emoheal.training_data_hash': String(manifest.trainingDataHash),
    'emoheal.ensemble_members': String(members.length),
    'emoheal.sources': JSON.stringify(members.map((member) => member.manifest.source ?? member.source)),
    'emoheal.dtype': options.dtype,
    'emoheal.parameter_count': String(
      members.reduce((sum, member) => sum + member.manifest.parameterCount, 0)
    )
  }
}
