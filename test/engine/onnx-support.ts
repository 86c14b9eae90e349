import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { buildModel, parseModelConfig, type ModelConfigInput } from '../../src-main/engine/model'
import { saveModel } from '../../src-main/engine/registry/model-files'
import { rawStreamsOf } from '../../src-main/engine/onnx/model-graph'
import type { ModelManifest } from '../../src-main/engine/registry/model-files'
import { inputTensors } from '../../src-main/engine/training/tensors'
import { extractWindows, sessionWindowsAt } from '../../src-main/engine/windows/extract'
import { fitNormalization, normalizeInputs } from '../../src-main/engine/windows/normalize'
import type { StudyStore } from '../../src-main/store/study-store'
import { numbers } from './layers-reference'

/** onnxruntime-node, or why it cannot load here (the suite then skips with that reason printed). */
export async function loadOrt(): Promise<{ ort: typeof import('onnxruntime-node') | null; reason: string }> {
  try {
    const ort = await import('onnxruntime-node')
    return { ort, reason: '' }
  } catch (error) {
    return { ort: null, reason: `onnxruntime-node does not load: ${(error as Error).message.split('\n')[0]}` }
  }
}

/**
 * A model with weights spread wider than the initializers' (so that probabilities differ between windows),
 * saved with normalization statistics fitted on the study's windows as training fits them.
 */
export async function savedModel(
  study: StudyStore,
  input: ModelConfigInput,
  seed: number,
  labels?: string[]
): Promise<{ directory: string; model: tf.LayersModel; manifest: ModelManifest }> {
  const config = parseModelConfig(input)
  const model = buildModel(config, { seed })
  model.setWeights(
    model.weights.map((weight, i) =>
      tf.tensor(
        numbers(tf.util.sizeFromShape(weight.shape as number[]), seed * 100 + i, 0.25),
        weight.shape as number[]
      )
    )
  )
  const set = extractWindows(study, windowOptionsFor(config))
  const normalization = fitNormalization(set.windows, set.inputs)
  const directory = join(mkdtempSync(join(tmpdir(), 'emoheal-onnx-model-')), 'model')
  const manifest = await saveModel(model, directory, {
    config,
    labels:
      labels ??
      Array.from({ length: config.classes }, (_, i) =>
        config.classes === 2 ? ['low', 'high'][i] : `class${i}`
      ),
    inputChannels: set.channelNames.flat(),
    normalization,
    sensorRates:
      config.kind === 'paper'
        ? { hr: 1, eda: 4, temp: 4, bvp: 64, acc: 32 }
        : Object.fromEntries(config.sensors.map((sensor) => [sensor.name, sensor.rateHz])),
    trainingDataHash: null,
    // As the trainer stores them: means and SDs over folds.
    metrics: {
      protocol: 'loso',
      accuracy: { mean: 0.7, sd: 0.05 },
      weightedF1: { mean: 0.65, sd: 0.04 },
      majorityAccuracy: { mean: 0.6, sd: 0.02 },
      windows: { target: 'arousal', labelSource: 'external', threshold: 2, windowMs: 5000 }
    },
    source: 'test'
  })
  return { directory, model, manifest }
}

export function windowOptionsFor(config: ReturnType<typeof parseModelConfig>) {
  return config.kind === 'paper'
    ? { preset: 'paper' as const, points: config.steps }
    : { preset: 'native' as const, sensors: config.sensors, windowMs: config.windowSeconds * 1000 }
}

/**
 * The study's labelled windows twice, both cut by the training code: as the model takes them (normalized with
 * the pooled statistics) and raw per stream at its native rate (the native preset's cut of the same streams),
 * the ONNX graph's inputs.
 */
export function studyWindows(study: StudyStore, manifest: ModelManifest) {
  const config = manifest.config
  const set = extractWindows(study, windowOptionsFor(config))
  const stats = (manifest.normalization as unknown as { pooled: { mean: number[]; std: number[] }[] }).pooled
  const prepared = set.windows.map((window) => normalizeInputs(window.inputs, stats))
  const streams = rawStreamsOf(manifest)
  const raw = set.windows.map((window) => {
    const [cut] = sessionWindowsAt(study, window.sessionId, [window.endMs], {
      ...set,
      points: 20,
      preset: 'native',
      sensors: streams.map((stream) => ({
        name: stream.name,
        rateHz: stream.rateHz,
        channels: stream.channels
      }))
    })
    if (typeof cut.inputs === 'string') throw new Error(`window at ${window.endMs}: ${cut.inputs}`)
    return cut.inputs
  })
  return { set, prepared, raw, streams }
}

/** model.predict's probabilities (or logits, through the layer named logits) for prepared windows. */
export function predictPrepared(
  model: tf.LayersModel,
  prepared: Float32Array[][],
  set: ReturnType<typeof extractWindows>
) {
  return tf.tidy(() => (model.predict(inputTensors(prepared, set.inputs)) as tf.Tensor2D).arraySync())
}

/** Feeds for an ORT session: per stream [N, samples, channels]. */
export function rawFeeds(
  ort: typeof import('onnxruntime-node'),
  raw: Float32Array[][],
  streams: { name: string; samples: number; channels: number }[]
) {
  return Object.fromEntries(
    streams.map((stream, s) => {
      const data = new Float32Array(raw.length * stream.samples * stream.channels)
      raw.forEach((window, i) => data.set(window[s], i * stream.samples * stream.channels))
      return [stream.name, new ort.Tensor('float32', data, [raw.length, stream.samples, stream.channels])]
    })
  )
}

export function rows(data: Float32Array, columns: number): number[][] {
  return Array.from({ length: data.length / columns }, (_, i) =>
    Array.from(data.subarray(i * columns, (i + 1) * columns))
  )
}

export function maxDifference(a: number[][], b: number[][]): number {
  let max = 0
  a.forEach((row, i) => row.forEach((value, j) => (max = Math.max(max, Math.abs(value - b[i][j])))))
  return max
}
