import { createGraphPredictor } from '../inference/graph-predictor'
import { createModelPredictor, windowShapesOf, type WindowPredictor } from '../inference/window-predictor'
import { loadModel, type ModelManifest } from '../registry/model-files'
import { createOnnxLivePredictor } from '../onnx/live-predictor'

export type LivePath = 'tensorflow function' | 'onnxruntime' | 'model.predict'

export interface LiveModel {
  manifest: ModelManifest
  predictor: WindowPredictor
  /**
   * Which path classifies a window: the whole model as one TensorFlow function, its ONNX graph on ONNX
   * Runtime, or model.predict where neither loads.
   */
  path: LivePath
  /** Median ms of one window on each path measured when the run started. */
  timings: Partial<Record<LivePath, number>>
  /** Frees what the predictor holds; call once the live run ends. */
  release: () => void
}

/** Median milliseconds of a few predictions of an all-zero window. */
function timeOf(predictor: WindowPredictor, window: Float32Array[]): number {
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
 * A saved model as live inference runs it, one window at a time: the whole model as one TensorFlow function
 * where native TensorFlow registers functions (inference/graph-predictor.ts), or its ONNX graph on ONNX Runtime
 * where onnxruntime-node loads (onnx/live-predictor.ts), whichever is faster here, measured when the run
 * starts; both are built from the layers' own passes. model.predict is the path only where neither loads.
 * The TensorFlow function and model.predict read the tfjs model's weights, so the model stays loaded until
 * release while one of them is the one used.
 */
export async function loadLiveModel(directory: string): Promise<LiveModel> {
  const { model, manifest } = await loadModel(directory)
  const candidates: { path: LivePath; predictor: WindowPredictor; release: () => void }[] = []
  let best: (typeof candidates)[number] | null = null
  try {
    const graph = createGraphPredictor(model)
    if (graph) candidates.push({ path: 'tensorflow function', predictor: graph, release: () => {} })
    const onnx = await createOnnxLivePredictor(model, manifest)
    if (onnx) candidates.push({ path: 'onnxruntime', ...onnx })
    if (candidates.length === 0)
      candidates.push({ path: 'model.predict', predictor: createModelPredictor(model), release: () => {} })
    const window = windowShapesOf(model).map(([, steps, channels]) => new Float32Array(steps * channels))
    const timings: Partial<Record<LivePath, number>> = {}
    for (const candidate of candidates) timings[candidate.path] = timeOf(candidate.predictor, window)
    best = candidates.reduce((a, b) => ((timings[b.path] as number) < (timings[a.path] as number) ? b : a))
    const release = best.path === 'onnxruntime' ? best.release : () => model.dispose()
    return { manifest, predictor: best.predictor, path: best.path, timings, release }
  } finally {
    for (const candidate of candidates) if (candidate !== best) candidate.release()
    if (best?.path === 'onnxruntime' || best === null) model.dispose()
  }
}
