import { promises as fs } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { FileFormatError, NotFoundError } from '../../errors'
import '../layers'
import { liftDenseLayers } from '../layers/saved-dense'
import { LABEL_SOURCES } from '../../ipc/contract/labels'
import { trainingLimits } from '../../ipc/contract/engine'
import { modelConfigSchema } from '../model/config'
import { exists, writeDirectoryAtomically } from '../../files/atomic-directory'

export { writeDirectoryAtomically }

export const modelFileNames = {
  topology: 'model.json',
  weights: 'weights.bin',
  manifest: 'manifest.json'
} as const

const meanAndSdSchema = z.object({ mean: z.number(), sd: z.number() })

const classificationMetricsSchema = z.object({
  count: z.number().int(),
  accuracy: z.number(),
  balancedAccuracy: z.number(),
  macroF1: z.number(),
  weightedF1: z.number(),
  auc: z.number().nullable(),
  confusion: z.array(z.array(z.number()))
})

/**
 * What the trainer records of a model's evaluation. Every field is optional (imported and hand-made models
 * have none of them) and unknown ones are kept, so a manifest written by a later version still reads.
 */
export const manifestMetricsSchema = z.looseObject({
  protocol: z.string().optional(),
  accuracy: meanAndSdSchema.optional(),
  weightedF1: meanAndSdSchema.optional(),
  majorityAccuracy: meanAndSdSchema.optional(),
  pooled: classificationMetricsSchema.optional(),
  finalModel: z
    .looseObject({
      epochsRun: z.number().int(),
      bestEpoch: z.number().int(),
      stoppedEarly: z.boolean(),
      restoredBest: z.boolean(),
      windowsPerSecond: z.number(),
      finalLoss: z.number(),
      finalValidationLoss: z.number().nullable(),
      trainedOn: z.number().int(),
      ensembleMembers: z.number().int()
    })
    .optional()
})

const channelStatsSchema = z.object({ mean: z.array(z.number()), std: z.array(z.number()) })

/** Per-participant z-score statistics (engine/windows/normalize.ts), one entry per model input. */
export const normalizationSchema = z.object({
  kind: z.literal('participant-z-score'),
  participants: z.record(z.string(), z.array(channelStatsSchema)),
  pooled: z.array(channelStatsSchema)
})

/**
 * How the model's training windows were cut and labelled, which prediction must repeat. Defaults are the
 * paper's (external arousal above 2 is high, 5-s windows); a native-rate model's length is its config's.
 */
export const manifestWindowsSchema = z.object({
  target: z.enum(['arousal', 'valence']).default('arousal'),
  labelSource: z.enum(LABEL_SOURCES).default('external'),
  threshold: z.number().default(2),
  windowMs: z.number().positive().max(trainingLimits.windowMs).default(5000),
  preset: z.enum(['paper', 'native']).optional()
})

export const modelManifestSchema = z.object({
  format: z.literal('emoheal-model'),
  version: z.literal(1),
  createdAt: z.string(),
  config: modelConfigSchema,
  parameterCount: z.number().int(),
  /** Class index -> label name, e.g. ['low', 'high']. */
  labels: z.array(z.string()).min(2),
  /** Input channel names in input order, e.g. the paper's hr, eda, temp, bvp, acc_mag. */
  inputChannels: z.array(z.string()).optional(),
  /** Normalization statistics as the trainer computed them; null when inputs are used raw. */
  normalization: normalizationSchema.nullable().default(null),
  /** Sensor name -> sampling rate in Hz. */
  sensorRates: z.record(z.string(), z.number()).default({}),
  /** Hash of the training data, so that a model can be traced to what it learnt from; null if imported. */
  trainingDataHash: z.string().nullable().default(null),
  /** The training windows' settings; absent in a model that was not trained here and says nothing of them. */
  windows: manifestWindowsSchema.optional(),
  metrics: manifestMetricsSchema.nullable().default(null),
  /** Where the weights came from, e.g. "trained" or "import-torch:FILE". */
  source: z.string().optional()
})

export type ModelManifest = z.infer<typeof modelManifestSchema>
export type ManifestWindows = z.output<typeof manifestWindowsSchema>
export type ManifestMetrics = z.output<typeof manifestMetricsSchema>

/** The window settings of a model, with the paper's defaults where its manifest records none. */
export function manifestWindowsOf(manifest: ModelManifest): ManifestWindows {
  return manifest.windows ?? manifestWindowsSchema.parse({})
}

/**
 * Manifests written before the window settings had a field of their own kept them in `metrics.windows`:
 * they are moved out, so either form reads the same.
 */
function liftOldWindows(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || 'windows' in raw) return raw
  const { metrics } = raw as { metrics?: unknown }
  if (metrics === null || typeof metrics !== 'object' || !('windows' in metrics)) return raw
  const { windows, ...rest } = metrics as Record<string, unknown>
  return { ...raw, windows, metrics: rest }
}
/** What the caller supplies; format, version, date and parameter count are filled in here. */
export type ModelManifestFields = Omit<
  z.input<typeof modelManifestSchema>,
  'format' | 'version' | 'createdAt' | 'parameterCount'
>

function valueCount(spec: tf.io.WeightsManifestEntry): number {
  return spec.shape.reduce((product, size) => product * size, 1)
}

/** Bytes a weight takes in weights.bin: 4 a value, or 2 (float16, uint16) or 1 (uint8) when quantized. */
export function storedBytes(spec: tf.io.WeightsManifestEntry): number {
  const dtype = spec.quantization?.dtype
  const bytesPerValue = dtype === undefined ? 4 : dtype === 'uint8' ? 1 : 2
  return valueCount(spec) * bytesPerValue
}

/** The artifacts tfjs saves for a model (topology, weight specs and data), captured in memory. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | null = null
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }
    })
  )
  if (!captured) throw new Error('tfjs saved no artifacts')
  return captured
}

/**
 * The files of a model directory: model.json (topology + weights manifest, tfjs's layers-model format),
 * weights.bin (float32 or quantized, as the weight specs say) and manifest.json.
 */
export function modelDirectoryFiles(
  artifacts: tf.io.ModelArtifacts,
  manifest: Record<string, unknown>
): Record<string, string | Uint8Array> {
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [`./${modelFileNames.weights}`], weights: artifacts.weightSpecs ?? [] }]
  }
  const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0))
  return {
    [modelFileNames.topology]: JSON.stringify(modelJson),
    [modelFileNames.weights]: new Uint8Array(weightData),
    [modelFileNames.manifest]: `${JSON.stringify(manifest, null, 2)}\n`
  }
}

/** Reads model.json and weights.bin of a model directory; weights.bin is checked against the weight specs. */
async function readModelArtifacts(directory: string): Promise<tf.io.ModelArtifacts> {
  const topologyFile = path.join(directory, modelFileNames.topology)
  if (!(await exists(topologyFile)))
    throw new NotFoundError(`no model in ${directory}: ${modelFileNames.topology} is missing`)
  let modelJson: tf.io.ModelJSON
  try {
    modelJson = JSON.parse(await fs.readFile(topologyFile, 'utf8')) as tf.io.ModelJSON
  } catch (error) {
    throw new FileFormatError(topologyFile, `not JSON: ${(error as Error).message}`)
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new FileFormatError(topologyFile, 'lacks modelTopology or weightsManifest')
  }
  const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights)
  const weightsFile = path.join(directory, modelFileNames.weights)
  const weights = await fs.readFile(weightsFile).catch(() => {
    throw new NotFoundError(`no weights in ${directory}: ${modelFileNames.weights} is missing`)
  })
  const expectedBytes = weightSpecs.reduce((total, spec) => total + storedBytes(spec), 0)
  if (weights.length !== expectedBytes) {
    throw new FileFormatError(
      weightsFile,
      `holds ${weights.length} bytes, the manifest describes ${expectedBytes}`
    )
  }
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy ?? undefined
  }
}

/** A model's manifest: the caller's fields with format, version, date and parameter count filled in. */
export function modelManifest(model: tf.LayersModel, fields: ModelManifestFields): ModelManifest {
  return modelManifestSchema.parse({
    ...fields,
    format: 'emoheal-model',
    version: 1,
    createdAt: new Date().toISOString(),
    parameterCount: model.countParams()
  })
}

/** Saves a model directory atomically (see writeDirectoryAtomically). */
export async function saveModel(
  model: tf.LayersModel,
  directory: string,
  fields: ModelManifestFields
): Promise<ModelManifest> {
  const manifest = modelManifest(model, fields)
  await writeDirectoryAtomically(directory, modelDirectoryFiles(await modelArtifacts(model), manifest))
  return manifest
}

export async function readModelManifest(directory: string): Promise<ModelManifest> {
  const file = path.join(directory, modelFileNames.manifest)
  if (!(await exists(file)))
    throw new NotFoundError(`no model in ${directory}: ${modelFileNames.manifest} is missing`)
  let raw: unknown
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'))
  } catch (error) {
    throw new FileFormatError(file, `not JSON: ${(error as Error).message}`)
  }
  const parsed = modelManifestSchema.safeParse(liftOldWindows(raw))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new FileFormatError(file, `field ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  return parsed.data
}

export interface LoadedModel {
  model: tf.LayersModel
  manifest: ModelManifest
}

export async function loadModel(directory: string): Promise<LoadedModel> {
  const manifest = await readModelManifest(directory)
  const artifacts = await readModelArtifacts(directory)
  // Models saved with tfjs Dense layers load with the engine's (same weights), so that they run its pass.
  artifacts.modelTopology = liftDenseLayers(artifacts.modelTopology) as tf.io.ModelArtifacts['modelTopology']
  // tfjs decodes float16 and uint8 weights to float32 as it builds the model.
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts))
  return { model, manifest }
}
