import { createFastPredictor, type FastPredictor } from '../fast-inference'
import { loadModel, type ModelManifest } from '../model-files'

/**
 * A saved model as live inference runs it: its manifest and a plain-JS predictor holding a copy of its
 * weights. The tfjs model is only read (a backend must be set) and disposed at once.
 */
export async function loadLiveModel(
  directory: string
): Promise<{ manifest: ModelManifest; predictor: FastPredictor }> {
  const { model, manifest } = await loadModel(directory)
  try {
    return { manifest, predictor: createFastPredictor(model, manifest.config) }
  } finally {
    model.dispose()
  }
}
