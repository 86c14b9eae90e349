import type { WindowPredictor } from '../inference'
import { createWindowPredictor } from '../inference/window-predictor'
import { loadModel, type ModelManifest } from '../model-files'

export interface LiveModel {
  manifest: ModelManifest
  predictor: WindowPredictor
  /** Which path classifies a window: the whole model as one TensorFlow function, or plain JavaScript. */
  path: 'tensorflow function' | 'javascript'
  /** Frees what the predictor holds; call once the live run ends. */
  release: () => void
}

/**
 * A saved model as live inference runs it (inference/window-predictor.ts): the whole model as one TensorFlow
 * function where native TensorFlow registers functions (it reads the tfjs model's weights, so the model stays
 * loaded until release), else the plain-JS predictor (which holds a copy of the weights).
 */
export async function loadLiveModel(directory: string): Promise<LiveModel> {
  const { model, manifest } = await loadModel(directory)
  let keepModel = false
  try {
    const { predictor, path } = createWindowPredictor(model, manifest.config)
    keepModel = path === 'tensorflow function'
    return { manifest, predictor, path, release: keepModel ? () => model.dispose() : () => {} }
  } finally {
    if (!keepModel) model.dispose()
  }
}
