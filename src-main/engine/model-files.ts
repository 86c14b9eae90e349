import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { FileFormatError, NotFoundError } from '../errors'
import './layers'
import { modelConfigSchema } from './model/config'

export const modelFileNames = {
  topology: 'model.json',
  weights: 'weights.bin',
  manifest: 'manifest.json'
} as const

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
  normalization: z.record(z.string(), z.unknown()).nullable().default(null),
  /** Sensor name -> sampling rate in Hz. */
  sensorRates: z.record(z.string(), z.number()).default({}),
  /** Hash of the training data, so that a model can be traced to what it learnt from; null if imported. */
  trainingDataHash: z.string().nullable().default(null),
  metrics: z.record(z.string(), z.unknown()).nullable().default(null),
  /** Where the weights came from, e.g. "trained" or "import-torch:FILE". */
  source: z.string().optional()
})

export type ModelManifest = z.infer<typeof modelManifestSchema>
/** What the caller supplies; format, version, date and parameter count are filled in here. */
export type ModelManifestFields = Omit<
  z.input<typeof modelManifestSchema>,
  'format' | 'version' | 'createdAt' | 'parameterCount'
>

async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false
  )
}

/**
 * A tf.io handler over a model directory: model.json (topology + weights manifest, tfjs's layers-model format)
 * and weights.bin. Saving writes into the directory given, which the caller makes a temporary one.
 */
export class ModelDirectoryHandler implements tf.io.IOHandler {
  constructor(private readonly directory: string) {}

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0))
    const modelJson = {
      format: 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [`./${modelFileNames.weights}`], weights: artifacts.weightSpecs ?? [] }]
    }
    await writeFileSynced(path.join(this.directory, modelFileNames.topology), JSON.stringify(modelJson))
    await writeFileSynced(path.join(this.directory, modelFileNames.weights), new Uint8Array(weightData))
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    const topologyFile = path.join(this.directory, modelFileNames.topology)
    if (!(await exists(topologyFile)))
      throw new NotFoundError(`no model in ${this.directory}: ${modelFileNames.topology} is missing`)
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
    const weightsFile = path.join(this.directory, modelFileNames.weights)
    const weights = await fs.readFile(weightsFile).catch(() => {
      throw new NotFoundError(`no weights in ${this.directory}: ${modelFileNames.weights} is missing`)
    })
    const expectedBytes = weightSpecs.reduce(
      (total, spec) => total + spec.shape.reduce((product, size) => product * size, 1) * 4,
      0
    )
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
}

/**
 * Saves a model directory atomically: everything is written and fsynced in a temporary directory beside the
 * target, then renamed into place; an existing model is replaced only once the new one is complete.
 */
export async function saveModel(
  model: tf.LayersModel,
  directory: string,
  fields: ModelManifestFields
): Promise<ModelManifest> {
  const manifest = modelManifestSchema.parse({
    ...fields,
    format: 'emoheal-model',
    version: 1,
    createdAt: new Date().toISOString(),
    parameterCount: model.countParams()
  })
  const target = path.resolve(directory)
  const parent = path.dirname(target)
  const base = path.basename(target)
  await fs.mkdir(parent, { recursive: true })
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const temporary = path.join(parent, `.${base}.tmp-${suffix}`)
  await fs.mkdir(temporary)
  try {
    await model.save(new ModelDirectoryHandler(temporary))
    await writeFileSynced(
      path.join(temporary, modelFileNames.manifest),
      `${JSON.stringify(manifest, null, 2)}\n`
    )
    await syncDirectory(temporary)
    if (await exists(target)) {
      // rename() cannot replace a non-empty directory: move the old one aside, then drop it.
      const previous = path.join(parent, `.${base}.old-${suffix}`)
      await fs.rename(target, previous)
      await fs.rename(temporary, target)
      await fs.rm(previous, { recursive: true, force: true })
    } else {
      await fs.rename(temporary, target)
    }
    await syncDirectory(parent)
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true })
    throw error
  }
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
  const parsed = modelManifestSchema.safeParse(raw)
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
  const model = await tf.loadLayersModel(new ModelDirectoryHandler(directory))
  return { model, manifest }
}
