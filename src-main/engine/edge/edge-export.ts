import { promises as fs } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { FileFormatError, NotFoundError, ValidationError } from '../../errors'
import type { StudyStore } from '../../store/study-store'
import {
  compareModels,
  randomEvaluationInputs,
  studyEvaluationInputs,
  type EdgeComparison
} from './edge-comparison'
import '../layers'
import {
  loadModel,
  modelArtifacts,
  modelDirectoryFiles,
  modelFileNames,
  readModelManifest,
  writeDirectoryAtomically
} from '../registry/model-files'
import { float16Bits, float16Value } from '../formats/float16'

/**
 * Models for small devices: the same model directory (model.json, weights.bin, manifest.json) with every float
 * weight stored as float16 or as per-tensor affine uint8, in tfjs's own weight quantization format, so that
 * tf.loadLayersModel and the tfjs converter's readers decode it. The manifest says which dtype.
 */
export type EdgeDtype = 'float16' | 'uint8'
export const edgeDtypes: readonly EdgeDtype[] = ['float16', 'uint8']

interface EncodedWeight {
  spec: tf.io.WeightsManifestEntry
  bytes: Uint8Array
  /** Largest |decoded - original| of the tensor. */
  maxError: number
}

function encodeFloat16(spec: tf.io.WeightsManifestEntry, values: Float32Array): EncodedWeight {
  const halves = new Uint16Array(values.length)
  let maxError = 0
  for (let i = 0; i < values.length; i++) {
    halves[i] = float16Bits(values[i])
    maxError = Math.max(maxError, Math.abs(float16Value(halves[i]) - values[i]))
  }
  return {
    spec: { ...spec, quantization: { dtype: 'float16' } },
    bytes: new Uint8Array(halves.buffer),
    maxError
  }
}

/**
 * Affine uint8: value = q * scale + min. The range is widened to hold 0 and nudged so that 0 is exactly
 * representable (as the tfjs converter does), so zero weights and zero biases stay exactly zero.
 */
function encodeUint8(spec: tf.io.WeightsManifestEntry, values: Float32Array): EncodedWeight {
  let low = 0
  let high = 0
  for (const value of values) {
    if (value < low) low = value
    if (value > high) high = value
  }
  const scale = high > low ? (high - low) / 255 : 1
  const zeroPoint = Math.round(-low / scale)
  const min = -zeroPoint * scale
  const codes = new Uint8Array(values.length)
  let maxError = 0
  for (let i = 0; i < values.length; i++) {
    const code = Math.min(255, Math.max(0, Math.round((values[i] - min) / scale)))
    codes[i] = code
    // tfjs decodes in float32: measure the error it will see.
    maxError = Math.max(maxError, Math.abs(Math.fround(code * scale + min) - values[i]))
  }
  return { spec: { ...spec, quantization: { dtype: 'uint8', min, scale } }, bytes: codes, maxError }
}

export interface QuantizedWeights {
  weightSpecs: tf.io.WeightsManifestEntry[]
  weightData: ArrayBuffer
  /** Largest weight error over all tensors, and the tensor it is in. */
  maxError: number
  maxErrorWeight: string | null
}

/** Encodes float32 model weights as float16 or uint8; weights of other dtypes are kept as they are. */
export function quantizeWeights(
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  dtype: EdgeDtype
): QuantizedWeights {
  const encoded: EncodedWeight[] = []
  let offset = 0
  for (const spec of specs) {
    if (spec.quantization) throw new ValidationError(`weight ${spec.name} is already quantized`, 'model')
    const length = spec.shape.reduce((product, size) => product * size, 1) * 4
    const raw = data.slice(offset, offset + length)
    offset += length
    if (spec.dtype !== 'float32') {
      encoded.push({ spec, bytes: new Uint8Array(raw), maxError: 0 })
      continue
    }
    const values = new Float32Array(raw)
    const bad = values.findIndex((value) => !Number.isFinite(value))
    if (bad >= 0)
      throw new ValidationError(`weight ${spec.name} holds ${values[bad]} at index ${bad}`, 'model')
    encoded.push(dtype === 'float16' ? encodeFloat16(spec, values) : encodeUint8(spec, values))
  }
  if (offset !== data.byteLength) {
    throw new ValidationError(
      `the weights hold ${data.byteLength} bytes, their specs describe ${offset}`,
      'model'
    )
  }
  const total = encoded.reduce((sum, weight) => sum + weight.bytes.length, 0)
  const weightData = new Uint8Array(total)
  let at = 0
  let worst: EncodedWeight | null = null
  for (const weight of encoded) {
    weightData.set(weight.bytes, at)
    at += weight.bytes.length
    if (!worst || weight.maxError > worst.maxError) worst = weight
  }
  return {
    weightSpecs: encoded.map((weight) => weight.spec),
    weightData: weightData.buffer,
    maxError: worst?.maxError ?? 0,
    maxErrorWeight: worst?.spec.name ?? null
  }
}

/** Builds a model from artifacts in memory; quantized weights are decoded by tfjs. */
export async function modelFromArtifacts(artifacts: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(artifacts))
}

async function readJsonFile(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${file} is missing`)
    throw new FileFormatError(file, `not JSON: ${(error as Error).message}`)
  }
}

export interface EdgeModel {
  model: tf.LayersModel
  artifacts: tf.io.ModelArtifacts
  quantized: QuantizedWeights
}

/** The quantized copy of a model, in memory: its artifacts and the model tfjs decodes from them. */
export async function quantizeModel(model: tf.LayersModel, dtype: EdgeDtype): Promise<EdgeModel> {
  if (!edgeDtypes.includes(dtype)) {
    throw new ValidationError(`dtype must be one of ${edgeDtypes.join(', ')}, got "${dtype}"`, 'dtype')
  }
  const source = await modelArtifacts(model)
  const data = tf.io.CompositeArrayBuffer.join(source.weightData ?? new ArrayBuffer(0))
  const quantized = quantizeWeights(source.weightSpecs ?? [], data, dtype)
  const artifacts: tf.io.ModelArtifacts = {
    ...source,
    weightSpecs: quantized.weightSpecs,
    weightData: quantized.weightData
  }
  return { model: await modelFromArtifacts(artifacts), artifacts, quantized }
}

/**
 * Saves a quantized model as a model directory, atomically. The manifest is the source model's, with the
 * weight dtype, where it came from and `edge` (sizes, weight error, evaluation) added.
 */
export async function saveEdgeModel(
  edge: EdgeModel,
  sourceDirectory: string,
  directory: string,
  dtype: EdgeDtype,
  details: Record<string, unknown>
): Promise<void> {
  const sourceManifest = await readJsonFile(path.join(sourceDirectory, modelFileNames.manifest))
  await readModelManifest(sourceDirectory)
  const manifest = {
    ...sourceManifest,
    createdAt: new Date().toISOString(),
    source: `edge-export:${dtype} of ${path.resolve(sourceDirectory)}`,
    weightDtype: dtype,
    edge: { dtype, sourceModel: path.resolve(sourceDirectory), ...details }
  }
  await writeDirectoryAtomically(directory, modelDirectoryFiles(edge.artifacts, manifest))
}

/** Bytes of the files of a model directory. */
export async function directoryBytes(directory: string): Promise<number> {
  const names = await fs.readdir(directory)
  const sizes = await Promise.all(names.map(async (name) => (await fs.stat(path.join(directory, name))).size))
  return sizes.reduce((total, size) => total + size, 0)
}

export interface EdgeExportOptions {
  dtype: EdgeDtype
  /** Compare on this study's labelled windows; otherwise on random windows. */
  study?: StudyStore
  /** Random windows when no study is given. Default 512. */
  randomWindows?: number
}

export interface EdgeExportResult {
  modelDir: string
  sourceModel: string
  dtype: EdgeDtype
  parameterCount: number
  size: {
    sourceBytes: number
    edgeBytes: number
    sourceWeightBytes: number
    edgeWeightBytes: number
    ratio: number
  }
  weightError: { max: number; weight: string | null }
  evaluation: EdgeComparison & { on: 'study' | 'random' }
}

/**
 * Quantizes a saved model, measures on evaluation windows how far its predictions move, and saves it with
 * those figures in its manifest. The source model is only read.
 */
export async function exportEdgeModel(
  sourceDirectory: string,
  directory: string,
  options: EdgeExportOptions
): Promise<EdgeExportResult> {
  if (path.resolve(sourceDirectory) === path.resolve(directory)) {
    throw new ValidationError('--out must differ from --model: the float32 model is kept', 'out')
  }
  const { model, manifest } = await loadModel(sourceDirectory)
  let edge: EdgeModel | null = null
  let evaluationInputs: tf.Tensor[] = []
  try {
    edge = await quantizeModel(model, options.dtype)
    const evaluation = options.study
      ? studyEvaluationInputs(options.study, manifest)
      : randomEvaluationInputs(manifest, options.randomWindows ?? 512)
    evaluationInputs = evaluation.inputs
    const comparison = {
      on: options.study ? ('study' as const) : ('random' as const),
      ...compareModels(model, edge.model, evaluation)
    }
    const sourceWeightBytes = (await fs.stat(path.join(sourceDirectory, modelFileNames.weights))).size
    const edgeWeightBytes = edge.quantized.weightData.byteLength
    const weightError = { max: edge.quantized.maxError, weight: edge.quantized.maxErrorWeight }
    await saveEdgeModel(edge, sourceDirectory, directory, options.dtype, {
      weightError,
      evaluation: comparison
    })
    const sourceBytes = await directoryBytes(sourceDirectory)
    const edgeBytes = await directoryBytes(directory)
    return {
      modelDir: path.resolve(directory),
      sourceModel: path.resolve(sourceDirectory),
      dtype: options.dtype,
      parameterCount: model.countParams(),
      size: { sourceBytes, edgeBytes, sourceWeightBytes, edgeWeightBytes, ratio: edgeBytes / sourceBytes },
      weightError,
      evaluation: comparison
    }
  } finally {
    tf.dispose(evaluationInputs)
    edge?.model.dispose()
    model.dispose()
  }
}
