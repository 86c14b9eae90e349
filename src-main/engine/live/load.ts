import type { WindowPredictor } from '../inference'
import { createWindowPredictor } from '../inference/window-predictor'
import { loadModel, type ModelManifest } from '../registry/model-files'
import { inputShapesOf } from '../windows/extract'
import { windowOptionsOf } from '../inference/session-inference'
import { createOnnxLivePredictor } from '../onnx/live-predictor'

export type LivePath = 'tensorflow function' | 'onnxruntime' | 'javascript'

export interface LiveModel {
  manifest: ModelManifest
  predictor: WindowPredictor
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
 * A saved model as live inference runs it: the app's own one-window path (inference/window-predictor.ts: the
 * whole model as one TensorFlow function where native TensorFlow registers functions, else plain JS), or the
 * model's ONNX graph on ONNX Runtime where onnxruntime-node loads, whichever is faster for one window here,
 * measured when the run starts. The TensorFlow function reads the tfjs model's weights, so the model stays
 * loaded until release while it is the one used.
 */
export async function loadLiveModel(directory: string): Promise<LiveModel> {
  const { model, manifest } = await loadModel(directory)
  const own = createWindowPredictor(model)
  const candidates: { path: LivePath; predictor: WindowPredictor; release: () => void }[] = [
    { path: own.path, predictor: own.predictor, release: () => {} }
  ]
  let best: (typeof candidates)[number] | null = null
  try {
    const onnx = await createOnnxLivePredictor(model, manifest)
    if (onnx) candidates.push({ path: 'onnxruntime', ...onnx })
    const window = inputShapesOf(windowOptionsOf(manifest)).inputs.map(
      ({ steps, channels }) => new Float32Array(steps * channels)
    )
    const timings: Partial<Record<LivePath, number>> = {}
    for (const candidate of candidates) timings[candidate.path] = timeOf(candidate.predictor, window)
    best = candidates.reduce((a, b) => ((timings[b.path] as number) < (timings[a.path] as number) ? b : a))
    const release = best.path === 'tensorflow function' ? () => model.dispose() : best.release
    return { manifest, predictor: best.predictor, path: best.path, timings, release }
  } finally {
    for (const candidate of candidates) if (candidate !== best) candidate.release()
    if (best?.path !== 'tensorflow function') model.dispose()
  }
}
