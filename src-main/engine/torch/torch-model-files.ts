import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileFormatError, NotFoundError, ValidationError } from '../../errors'
import { writeFileAtomically } from '../../files/atomic-file'
import { loadModel, saveModel, type ModelManifest } from '../registry/model-files'
import { buildModel, parseModelConfig } from '../model/build-model'
import { paperChannels, type PaperModelConfig } from '../model/config'
import { defaultStateDictLimits } from './limits'
import { exportPaperWeights, importPaperWeights } from './paper-names'
import { writeSafetensors } from './safetensors'
import { readStateDictFile } from './torch-pt'

/** The published labels: external arousal <= 2 is low, > 2 high. */
export const paperLabels = ['low', 'high']

export interface ImportTorchOptions {
  preset?: 'paper'
  /** Overrides of the paper config, for state_dicts of a modified architecture. */
  config?: Partial<Omit<PaperModelConfig, 'kind'>>
  labels?: string[]
}

export interface ImportTorchResult {
  modelDir: string
  preset: 'paper'
  parameterCount: number
  tensorsRead: number
  manifest: ModelManifest
}

/** The file's bytes, refused by its size before any is read: the readers then bound what it can claim. */
async function readInput(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError(`${file}: no such file`)
    throw error
  })
  try {
    const { size } = await handle.stat()
    const largest = defaultStateDictLimits.largestFileBytes
    if (size > largest)
      throw new FileFormatError(file, `${size} bytes, larger than any model file this reads (${largest})`)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * Reads a published state_dict (safetensors, or torch.save's .pt/.pth) into a paper model and saves it as a
 * model directory. Nothing is written unless every tensor is read, matched and shape-checked. The registry
 * entry is the caller's to add.
 */
export async function importTorchModel(
  file: string,
  outDir: string,
  options: ImportTorchOptions = {}
): Promise<ImportTorchResult> {
  const preset = options.preset ?? 'paper'
  if (preset !== 'paper')
    throw new ValidationError(`unknown preset "${String(preset)}"; only paper is known`, 'preset')
  const tensors = readStateDictFile(file, await readInput(file))
  const config = parseModelConfig({ ...options.config, kind: 'paper' }) as PaperModelConfig
  const model = buildModel(config)
  try {
    const tensorsRead = importPaperWeights(model, config, tensors, file)
    const manifest = await saveModel(model, outDir, {
      config,
      labels: options.labels ?? paperLabels,
      inputChannels: [...paperChannels],
      normalization: null,
      sensorRates: {},
      trainingDataHash: null,
      // The published model's windows: 5-s, external arousal above 2 is high (what prediction cuts again).
      windows: { target: 'arousal', labelSource: 'external', threshold: 2, windowMs: 5000, preset: 'paper' },
      metrics: null,
      source: `import-torch:${path.basename(file)}`
    })
    return {
      modelDir: path.resolve(outDir),
      preset,
      parameterCount: manifest.parameterCount,
      tensorsRead,
      manifest
    }
  } finally {
    model.dispose()
  }
}

export interface ExportTorchResult {
  file: string
  parameterCount: number
  tensorsWritten: number
}

/** Writes a paper model's weights under the published state_dict names (atomically: temporary file, rename). */
export async function exportTorchModel(modelDir: string, outFile: string): Promise<ExportTorchResult> {
  const { model, manifest } = await loadModel(modelDir)
  try {
    if (manifest.config.kind !== 'paper') {
      throw new ValidationError(
        `${modelDir} holds a ${manifest.config.kind} model; only the paper model has PyTorch names`,
        'model'
      )
    }
    const tensors = exportPaperWeights(model, manifest.config)
    const bytes = writeSafetensors(tensors, { format: 'pt' })
    const target = path.resolve(outFile)
    await writeFileAtomically(target, bytes)
    return { file: target, parameterCount: model.countParams(), tensorsWritten: tensors.size }
  } finally {
    model.dispose()
  }
}
