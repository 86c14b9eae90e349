import type * as tf from '@tensorflow/tfjs'
import { windowInputs, windowShapesOf, type WindowPredictor } from '../inference/window-predictor'
import type { ModelManifest } from '../registry/model-files'
import { buildOnnxGraph } from './model-graph'
import { encodeOnnxModel } from './onnx-proto'

/**
 * A model's ONNX graph (its own prepared inputs, float32) run by ONNX Runtime synchronously, as live inference
 * calls its predictors. onnxruntime-node's public run() is asynchronous only to defer a synchronous native call
 * with setImmediate; this calls the native session of the package's binding module directly. Returns null
 * where that binding is absent or has another shape, so that live inference keeps its other predictors.
 */

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void
  run(
    feeds: Record<string, unknown>,
    fetches: Record<string, null>,
    options: object
  ): Record<string, { data: Float32Array }>
  dispose(): void
}

interface BindingModule {
  binding: { InferenceSession: new () => NativeSession }
  initOrt: () => void
}

export interface OnnxLivePredictor {
  predictor: WindowPredictor
  release: () => void
}

export async function createOnnxLivePredictor(
  model: tf.LayersModel,
  manifest: ModelManifest,
  appVersion = 'live'
): Promise<OnnxLivePredictor | null> {
  let ort: typeof import('onnxruntime-node')
  let bindingModule: BindingModule
  try {
    ort = await import('onnxruntime-node')
    const imported = (await import('onnxruntime-node/dist/binding.js' as string)) as
      BindingModule | { default: BindingModule }
    // Node resolves an ES import of a package file only by its full name; bundlers hand back a CommonJS
    // module either as its exports or as a namespace whose default export they are.
    bindingModule = 'default' in imported ? imported.default : imported
    if (typeof bindingModule.binding?.InferenceSession !== 'function') return null
  } catch {
    return null
  }
  const graph = buildOnnxGraph([{ model, manifest, source: 'live' }], {
    dtype: 'float32',
    appVersion,
    modelInputs: true
  })
  const bytes = encodeOnnxModel(graph.model)
  bindingModule.initOrt()
  const session = new bindingModule.binding.InferenceSession()
  session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3
  })
  const shapes = windowShapesOf(model)
  const names = graph.model.inputs.map((input) => input.name)
  return {
    predictor: (window) => {
      const parts = windowInputs(window, shapes)
      const feeds = Object.fromEntries(
        parts.map((values, i) => [names[i], new ort.Tensor('float32', values, shapes[i])])
      )
      return session.run(feeds, { probabilities: null }, {}).probabilities.data
    },
    release: () => session.dispose()
  }
}
