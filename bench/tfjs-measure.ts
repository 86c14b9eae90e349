import * as tf from '@tensorflow/tfjs'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  buildModel,
  countTrainingStepKernels,
  nativeRateInputShapes,
  type ModelConfig
} from '../src-main/engine/model'
import { createOnnxLivePredictor } from '../src-main/engine/onnx/live-predictor'
import { createGraphPredictor } from '../src-main/engine/inference/graph-predictor'
import { modelManifest, saveModel } from '../src-main/engine/registry/model-files'
import {
  paperTrainingOptions,
  trainModel,
  type TrainingOptions
} from '../src-main/engine/training/train-loop'
import { disposeWindowTensors, type WindowTensors } from '../src-main/engine/training/tensors'

/** Input shapes without the batch axis, in the model's input order. */
export function inputShapesOf(config: ModelConfig): [number, number][] {
  if (config.kind === 'paper') return [[config.steps, 5]]
  return nativeRateInputShapes(config).map((input) => input.shape)
}

/** Random windows (standard normal) and random binary labels: the speed does not depend on the values. */
export function randomWindows(config: ModelConfig, count: number, seed: number): WindowTensors {
  return tf.tidy(() => ({
    inputs: inputShapesOf(config).map(
      ([steps, channels], index) =>
        tf.randomNormal([count, steps, channels], 0, 1, 'float32', seed + index) as tf.Tensor3D
    ),
    labels: tf.cast(tf.randomUniform([count], 0, 2, 'float32', seed + 99), 'int32') as tf.Tensor1D,
    count
  }))
}

function benchTrainingOptions(batchSize: number): TrainingOptions {
  // One epoch without validation: the loop's per-batch work (gather, forward, backward, weight decay, Adam,
  // one read-back of loss and hits) is what a real run does for every batch.
  return { ...paperTrainingOptions, epochs: 1, batchSize, plateau: null, earlyStoppingPatience: 0, seed: 1 }
}

async function trainSteps(
  model: tf.LayersModel,
  config: ModelConfig,
  steps: number,
  batchSize: number
): Promise<number> {
  const data = randomWindows(config, steps * batchSize, 7)
  try {
    const started = performance.now()
    await trainModel(model, data, null, benchTrainingOptions(batchSize))
    return (performance.now() - started) / 1000
  } finally {
    disposeWindowTensors(data)
  }
}

export interface TrainingFigures {
  windowsPerSecond: number
  steps: number
  seconds: number
}

/**
 * Windows per second of the product's training loop, after warm-up. The step count fills about
 * `budgetSeconds`, between `minSteps` and `maxSteps`, estimated from a short timed warm-up run.
 */
export async function measureTraining(
  model: tf.LayersModel,
  config: ModelConfig,
  {
    batchSize,
    budgetSeconds,
    minSteps,
    maxSteps
  }: { batchSize: number; budgetSeconds: number; minSteps: number; maxSteps: number }
): Promise<TrainingFigures> {
  await trainSteps(model, config, 3, batchSize)
  const probeSteps = 5
  const perStep = (await trainSteps(model, config, probeSteps, batchSize)) / probeSteps
  const steps = Math.max(minSteps, Math.min(maxSteps, Math.round(budgetSeconds / perStep)))
  const seconds = await trainSteps(model, config, steps, batchSize)
  return { windowsPerSecond: (steps * batchSize) / seconds, steps, seconds }
}

/** Kernels one step of the product's training loop runs: a run of 2 batches less a run of 1 batch. */
export async function countLoopKernels(
  model: tf.LayersModel,
  config: ModelConfig,
  batchSize: number
): Promise<number> {
  const kernelsOf = async (batches: number) => {
    const data = randomWindows(config, batches * batchSize, 11)
    try {
      const info = await tf.profile(async () => {
        await trainModel(model, data, null, benchTrainingOptions(batchSize))
      })
      return info.kernels.length
    } finally {
      disposeWindowTensors(data)
    }
  }
  await kernelsOf(1)
  return (await kernelsOf(2)) - (await kernelsOf(1))
}

export async function countMinimizeKernels(model: tf.LayersModel, config: ModelConfig, batchSize: number) {
  const data = randomWindows(config, batchSize, 13)
  const oneHot = tf.oneHot(data.labels, 2)
  try {
    return await countTrainingStepKernels(
      model,
      data.inputs.length === 1 ? data.inputs[0] : data.inputs,
      oneHot
    )
  } finally {
    oneHot.dispose()
    disposeWindowTensors(data)
  }
}

export interface InferenceFigures {
  medianMs: number
  p10Ms: number
  p90Ms: number
  runs: number
  kernels: number
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

interface TimingBudget {
  maxRuns: number
  budgetSeconds: number
}

/** Median and spread of up to `maxRuns` timed calls within the budget (at least 5), after 10 warm-ups. */
async function timeRuns(
  once: () => Promise<void> | void,
  { maxRuns, budgetSeconds }: TimingBudget
): Promise<Omit<InferenceFigures, 'kernels'>> {
  const timed = async () => {
    const started = performance.now()
    await once()
    return performance.now() - started
  }
  for (let warm = 0; warm < 10; warm++) await timed()
  const times: number[] = []
  const deadline = performance.now() + budgetSeconds * 1000
  while (times.length < maxRuns && (times.length < 5 || performance.now() < deadline))
    times.push(await timed())
  times.sort((a, b) => a - b)
  return {
    medianMs: quantile(times, 0.5),
    p10Ms: quantile(times, 0.1),
    p90Ms: quantile(times, 0.9),
    runs: times.length
  }
}

/** Milliseconds to classify one window with tfjs, result read back. */
export async function measureInference(
  model: tf.LayersModel,
  config: ModelConfig,
  budget: TimingBudget
): Promise<InferenceFigures> {
  const window = randomWindows(config, 1, 17)
  const input = window.inputs.length === 1 ? window.inputs[0] : window.inputs
  try {
    const figures = await timeRuns(async () => {
      const output = model.predict(input) as tf.Tensor
      await output.data()
      output.dispose()
    }, budget)
    const info = await tf.profile(() => tf.tidy(() => model.predict(input) as tf.Tensor))
    return { ...figures, kernels: info.kernels.length }
  } finally {
    disposeWindowTensors(window)
  }
}

/**
 * Milliseconds to classify one window with the model's ONNX graph on ONNX Runtime (onnx/live-predictor.ts), the
 * path live prediction takes where native TensorFlow has no functions; it does not depend on the tfjs backend.
 * Null where onnxruntime-node's binding does not load. The same random window as measureInference.
 */
export async function measureOnnxInference(
  model: tf.LayersModel,
  config: ModelConfig,
  budget: TimingBudget
): Promise<InferenceFigures | null> {
  const labels = Array.from({ length: config.classes }, (_, k) => String(k))
  const onnx = await createOnnxLivePredictor(model, modelManifest(model, { config, labels }))
  if (!onnx) return null
  const window = randomWindows(config, 1, 17)
  try {
    const input = window.inputs.map((tensor) => tensor.dataSync() as Float32Array)
    return { ...(await timeRuns(() => void onnx.predictor(input), budget)), kernels: 0 }
  } finally {
    disposeWindowTensors(window)
    onnx.release()
  }
}

/**
 * Milliseconds to classify one window with the whole model as one TensorFlow function (native TensorFlow whose
 * binding registers functions; null elsewhere). The same random window as measureInference.
 */
export async function measureGraphInference(
  model: tf.LayersModel,
  config: ModelConfig,
  budget: TimingBudget
): Promise<InferenceFigures | null> {
  const predict = createGraphPredictor(model)
  if (!predict) return null
  const window = randomWindows(config, 1, 17)
  try {
    const input = window.inputs.map((tensor) => tensor.dataSync() as Float32Array)
    return { ...(await timeRuns(() => void predict(input), budget)), kernels: 0 }
  } finally {
    disposeWindowTensors(window)
  }
}

/** Bytes of the model directory as the engine saves it (topology, float32 weights, manifest). */
export async function modelSizeOnDisk(model: tf.LayersModel, config: ModelConfig): Promise<number> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'emoheal-bench-model-'))
  try {
    const target = path.join(directory, 'model')
    await saveModel(model, target, { config, labels: ['low', 'high'] })
    const names = await fs.readdir(target)
    const sizes = await Promise.all(names.map(async (name) => (await fs.stat(path.join(target, name))).size))
    return sizes.reduce((total, size) => total + size, 0)
  } finally {
    await fs.rm(directory, { recursive: true, force: true })
  }
}

export { buildModel }
