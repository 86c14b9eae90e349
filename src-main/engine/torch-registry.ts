import { basename, dirname, extname, join } from 'node:path'
import { ModelStore, type ModelRecord } from '../store/model-store'
import type { StudyStore } from '../store/study-store'
import { importTorchModel, type ImportTorchResult } from './torch'

/** Where an imported model goes when no directory is given: beside the study's trained models. */
export function importedModelDirectory(studyPath: string, file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9_-]+/g, '_')
  return join(dirname(studyPath), `${basename(studyPath)}.models`, `import-${stem}-${stamp}`)
}

/**
 * Imports a PyTorch state_dict and registers it in the study's model registry like a trained model. The
 * registry entry is written only after the model directory is complete, so a bad file leaves no trace.
 */
export async function importTorchIntoRegistry(
  study: StudyStore,
  file: string,
  options: { preset?: 'paper'; name?: string; outDir?: string } = {}
): Promise<{ model: ModelRecord; result: ImportTorchResult }> {
  const result = await importTorchModel(file, options.outDir ?? importedModelDirectory(study.path, file), {
    preset: options.preset ?? 'paper'
  })
  // The published model's labels: external arousal above 2 is high (what session prediction reads back).
  const windows = {
    target: 'arousal',
    labelSource: 'external',
    threshold: 2,
    windowMs: 5000,
    preset: 'paper'
  }
  const model = new ModelStore(study.db).registerModel({
    name: options.name?.trim() || `paper arousal (imported ${basename(file)})`,
    directory: result.modelDir,
    preset: result.preset,
    target: 'arousal',
    config: result.manifest.config,
    metrics: { source: `import-torch:${basename(file)}`, parameterCount: result.parameterCount, windows }
  })
  return { model, result }
}
