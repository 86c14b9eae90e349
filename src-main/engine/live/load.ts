import { createFastPredictor, type FastPredictor } from '../fast-inference'
import { loadModel, type ModelManifest } from '../model-files'
import { inputShapesOf } from '../windows/extract'
import { windowOptionsOf } from '../session-inference'
import { createNativePredictor } from '../native-graph/model-function'
import { createOnnxLivePredictor } from '../onnx/live-predictor'

export type LivePath = 'tensorflow function' | 'onnxruntime' | 'javascript'

export interface LiveModel {
  manifest: ModelManifest
  predictor: FastPredictor
  /**
   * Which path classifies a window: the whole model as one TensorFlow function, its ONNX graph on ONNX
   * Runtime, or plain JavaScript.
   */
  path: LivePath
  /** Median ms of one window on each path measured when the run started. */
  timings: Partial<Record<LivePath, number>>
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
 * run starts: the plain-JS predictor (which holds a copy of the weights), on native TensorFlow whose binding
 * registers functions the whole model as one function (it reads the tfjs model's weights, so the model stays
 * loaded until release), and where onnxruntime-node loads the model's ONNX graph on ONNX Runtime.
 */
export async function loadLiveModel(directory: string): Promise<LiveModel> {
  const { model, manifest } = await loadModel(directory)
  const candidates: { path: LivePath; predictor: FastPredictor; release: () => void }[] = []
  let best: (typeof candidates)[number] | null = null
  try {
    candidates.push({
      path: 'javascript',
      predictor: createFastPredictor(model, manifest.config),
      release: () => {}
    })
    const native = createNativePredictor(model)
    if (native) candidates.push({ path: 'tensorflow function', predictor: native, release: () => {} })
    const onnx = await createOnnxLivePredictor(model, manifest)
    if (onnx) candidates.push({ path: 'onnxruntime', ...onnx })
    const window = inputShapesOf(windowOptionsOf(manifest)).inputs.map(
      ({ steps, channels }) => new Float32Array(steps * channels)
    )
    const timings: Partial<Record<LivePath, number>> = {}
    for (const candidate of candidates) timings[candidate.path] = timeOf(candidate.predictor, window)
    best = candidates.reduce((a, b) => ((timings[b.path] as number) < (timings[a.path] as number) ? b : a))
    // The TensorFlow function reads the tfjs model's weights: the model lives as long as it is the one used.
    const release = best.path === 'tensorflow function' ? () => model.dispose() : best.release
    return { manifest, predictor: best.predictor, path: best.path, timings, release }
  } finally {
    for (const candidate of candidates) if (candidate !== best) candidate.release()
    if (best?.path !== 'tensorflow function') model.dispose()
  }
}
