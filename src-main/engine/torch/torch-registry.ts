import { basename, dirname, extname, join } from 'node:path'
import { ModelStore, type ModelRecord } from '../../store/model-store'
import type { StudyStore } from '../../store/study-store'
import { registerModelDirectory } from '../registry/model-registry'
import { importTorchModel, type ImportTorchResult } from './'

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
  const model = registerModelDirectory(
    new ModelStore(study.db),
    result.modelDir,
    result.manifest,
    { importedFrom: basename(file) },
    options.name
  )
  return { model, result }
}
