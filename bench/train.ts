/**
 * The tfjs half of `npm run bench:train`: for every backend present, the paper preset and the native-rate default
 * model, measures training windows/s, one-window inference, kernels per step, parameters and size on disk;
 * then one window on ONNX Runtime (onnx/live-predictor.ts), the path live prediction takes without TensorFlow functions.
 * Prints one JSON object on stdout; bench/train.mjs builds this file, runs it beside the PyTorch peer and
 * prints the table. Usage: node <bundle> [--quick] [--backends tensorflow,wasm,cpu]
 */
import * as tf from '@tensorflow/tfjs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { listBackends, useBackend, type BackendPreference } from '../src-main/engine/runtime/backend'
import { parseModelConfig, type ModelConfig } from '../src-main/engine/model'
import {
  buildModel,
  countLoopKernels,
  countMinimizeKernels,
  measureGraphInference,
  measureInference,
  measureOnnxInference,
  measureTraining,
  modelSizeOnDisk,
  type InferenceFigures,
  type TrainingFigures
} from './tfjs-measure'

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, backends: { type: 'string' } },
  strict: true
})
const quick = values.quick === true
const batchSize = 32

export interface TfjsModelResult {
  model: 'paper' | 'native-rate'
  backend: string
  parameters: number
  sizeBytes: number
  kernelsPerStep: number | null
  kernelsPerMinimizeStep: number | null
  topKernels: { name: string; count: number }[]
  training: TrainingFigures | null
  inference: InferenceFigures
  /** The whole model as one TensorFlow function (native TensorFlow with graph functions only). */
  graphInference: InferenceFigures | null
}

/** One-window inference on ONNX Runtime, which does not depend on the tfjs backend (null: it does not load). */
export interface OnnxPathResult {
  model: 'paper' | 'native-rate'
  inference: InferenceFigures | null
}

const configs: { name: 'paper' | 'native-rate'; config: ModelConfig }[] = [
  { name: 'paper', config: parseModelConfig({ kind: 'paper' }) },
  { name: 'native-rate', config: parseModelConfig({ kind: 'native-rate' }) }
]

function log(line: string): void {
  process.stderr.write(`[bench:tfjs] ${line}\n`)
}

async function benchModel(
  backend: string,
  name: 'paper' | 'native-rate',
  config: ModelConfig,
  train: boolean
): Promise<TfjsModelResult> {
  const model = buildModel(config, { seed: 1 })
  try {
    const started = performance.now()
    let kernelsPerStep: number | null = null
    let kernelsPerMinimizeStep: number | null = null
    let topKernels: { name: string; count: number }[] = []
    let training: TrainingFigures | null = null
    if (train) {
      const minimize = await countMinimizeKernels(model, config, batchSize)
      kernelsPerMinimizeStep = minimize.kernels
      topKernels = minimize.byName.slice(0, 8)
      kernelsPerStep = await countLoopKernels(model, config, batchSize)
      training = await measureTraining(model, config, {
        batchSize,
        budgetSeconds: quick ? 2 : 25,
        minSteps: quick ? 5 : 60,
        maxSteps: quick ? 20 : 400
      })
    }
    const inference = await measureInference(model, config, {
      maxRuns: quick ? 50 : 500,
      budgetSeconds: quick ? 1 : backend === 'cpu' ? 6 : 8
    })
    const graphInference = await measureGraphInference(model, config, {
      maxRuns: quick ? 50 : 2000,
      budgetSeconds: quick ? 1 : 4
    })
    if (graphInference) log(`${backend} ${name}: graph predictor ${graphInference.medianMs.toFixed(2)} ms`)
    const sizeBytes = await modelSizeOnDisk(model, config)
    log(
      `${backend} ${name}: ${training ? `${training.windowsPerSecond.toFixed(0)} windows/s, ` : ''}` +
        `inference ${inference.medianMs.toFixed(2)} ms (${((performance.now() - started) / 1000).toFixed(0)} s)`
    )
    return {
      model: name,
      backend,
      parameters: model.countParams(),
      sizeBytes,
      kernelsPerStep,
      kernelsPerMinimizeStep,
      topKernels,
      training,
      inference,
      graphInference
    }
  } finally {
    model.dispose()
  }
}

async function benchOnnxPath(name: 'paper' | 'native-rate', config: ModelConfig): Promise<OnnxPathResult> {
  const model = buildModel(config, { seed: 1 })
  try {
    const inference = await measureOnnxInference(model, config, {
      maxRuns: quick ? 50 : 2000,
      budgetSeconds: quick ? 1 : 4
    })
    log(
      `onnxruntime ${name}: ${inference ? `inference ${inference.medianMs.toFixed(2)} ms` : 'does not load'}`
    )
    return { model: name, inference }
  } finally {
    model.dispose()
  }
}

async function main(): Promise<void> {
  const statuses = await listBackends()
  const present = statuses.filter((status) => status.available).map((status) => status.name)
  const wanted = values.backends ? values.backends.split(',') : ['tensorflow', 'wasm', 'cpu']
  const results: TfjsModelResult[] = []
  const backends: { name: string; why: string }[] = []
  for (const backend of wanted) {
    const native = backend === 'tensorflow'
    if (!present.includes(backend) && !(native && present.includes('tensorflow-gpu'))) {
      log(`${backend}: not available, skipped`)
      continue
    }
    const choice = await useBackend(backend as BackendPreference)
    backends.push({ name: choice.name, why: choice.why })
    log(`backend ${choice.name}: ${choice.why}`)
    // Plain JavaScript trains at a few windows/s: inference only.
    const train = backend !== 'cpu'
    for (const { name, config } of configs) results.push(await benchModel(choice.name, name, config, train))
  }
  const onnxPath: OnnxPathResult[] = []
  for (const { name, config } of configs) onnxPath.push(await benchOnnxPath(name, config))
  const output = {
    tfjs: tf.version.tfjs,
    cores: availableParallelism(),
    threads: {
      TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? null,
      TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? null,
      wasm: 1
    },
    batchSize,
    quick,
    backendStatuses: statuses,
    backends,
    configs: Object.fromEntries(configs.map(({ name, config }) => [name, config])),
    results,
    onnxPath
  }
  process.stdout.write(`${JSON.stringify(output)}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[bench:tfjs] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exit(1)
})
