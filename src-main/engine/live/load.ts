import { createFastPredictor, type FastPredictor } from '../fast-inference'
import { loadModel, type ModelManifest } from '../model-files'
import { inputShapesOf } from '../windows/extract'
import { windowOptionsOf } from '../session-inference'
import { createNativePredictor } from '../native-graph/model-function'

export interface LiveModel {
  manifest: ModelManifest
  predictor: FastPredictor
  /** Which path classifies a window: the whole model as one TensorFlow function, or plain JavaScript. */
  path: 'tensorflow function' | 'javascript'
  /** Frees what the predictor holds; call once the live run ends. */
  release: () => void
}

/** Median milliseconds of a few predictions of an all-zero window. */
function timeOf(predictor: FastPredictor, window: Float32Array[]): number {
  predictor(window)
  const times: number[] = []
  for (let run = 0; run < 7; run++) {
    const started = performance.now()
    predictor(window)
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[3]
}

/**
 * A saved model as live inference runs it, on the path that is fastest for one window here, measured when the
 * run starts: on native TensorFlow whose binding registers functions, the whole model as one function (it
 * reads the tfjs model's weights, so the model stays loaded until release) against the plain-JS predictor
 * (which holds a copy of the weights). Measured on a slow 2-core machine: the native-rate model 1.9 against
 * 4.8 ms, the paper model 1.8 against 1.4 ms.
 */
export async function loadLiveModel(directory: string): Promise<LiveModel> {
  const { model, manifest } = await loadModel(directory)
  let keepModel = false
  try {
    const javascript = createFastPredictor(model, manifest.config)
    const native = createNativePredictor(model)
    if (native) {
      const window = inputShapesOf(windowOptionsOf(manifest)).inputs.map(
        ({ steps, channels }) => new Float32Array(steps * channels)
      )
      if (timeOf(native, window) < timeOf(javascript, window)) {
        keepModel = true
        return { manifest, predictor: native, path: 'tensorflow function', release: () => model.dispose() }
      }
    }
    return { manifest, predictor: javascript, path: 'javascript', release: () => {} }
  } finally {
    if (!keepModel) model.dispose()
  }
}
