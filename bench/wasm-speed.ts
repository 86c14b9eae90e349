/**
 * The tfjs half of bench/wasm-compare.mjs: on one backend (wasm by default), for the paper preset and the
 * native-rate default model, one-window `model.predict` (median of many calls, result read back), a batch of 64
 * through `model.predict`, training windows/s of the product's loop (batch 32), and kernels per predict and per
 * training step. Written against the API both this tree and the pre-refactor one have (bench/tfjs-measure.ts,
 * backend.ts, model/), so that wasm-compare.mjs can build it against either and run them alternately.
 * With PROFILE=1 also the backend's milliseconds per kernel kind for one predict and one training step.
 * Prints one JSON object on stdout.
 */
import * as tf from '@tensorflow/tfjs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { useBackend, type BackendPreference } from '../src-main/engine/runtime/backend'
import { parseModelConfig, type ModelConfig } from '../src-main/engine/model'
import {
  buildModel,
  countLoopKernels,
  measureInference,
  measureTraining,
  randomWindows
} from './tfjs-measure'
import { disposeWindowTensors } from '../src-main/engine/training/tensors'
import { paperTrainingOptions, trainModel } from '../src-main/engine/training/train-loop'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    backend: { type: 'string' },
    models: { type: 'string' },
    training: { type: 'string' }
  },
  strict: true
})
const quick = values.quick === true
const profile = process.env.PROFILE === '1'
const batchSize = 32

interface KernelTime {
  name: string
  count: number
  ms: number
}

/** Kernels of `run` grouped by name, with the backend's time of each (tf.profile), most expensive first. */
async function kernelTimes(run: () => Promise<void> | void): Promise<KernelTime[]> {
  const info = await tf.profile(async () => {
    await run()
  })
  const byName = new Map<string, KernelTime>()
  for (const kernel of info.kernels) {
    const entry = byName.get(kernel.name) ?? { name: kernel.name, count: 0, ms: 0 }
    entry.count++
    entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0
    byName.set(kernel.name, entry)
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms)
}

async function batchPredict(model: tf.LayersModel, config: ModelConfig, count: number, runs: number) {
  const data = randomWindows(config, count, 23)
  const input = data.inputs.length === 1 ? data.inputs[0] : data.inputs
  try {
    const once = async () => {
      const started = performance.now()
      const output = model.predict(input) as tf.Tensor
      await output.data()
      output.dispose()
      return performance.now() - started
    }
    for (let i = 0; i < 3; i++) await once()
    const times: number[] = []
    for (let i = 0; i < runs; i++) times.push(await once())
    times.sort((a, b) => a - b)
    return { medianMs: times[Math.floor(times.length / 2)], runs }
  } finally {
    disposeWindowTensors(data)
  }
}

async function stepProfile(model: tf.LayersModel, config: ModelConfig) {
  const data = randomWindows(config, batchSize, 29)
  try {
    const options = {
      ...paperTrainingOptions,
      epochs: 1,
      batchSize,
      plateau: null,
      earlyStoppingPatience: 0,
      seed: 1
    }
    await trainModel(model, data, null, options)
    return await kernelTimes(() => trainModel(model, data, null, options).then(() => undefined))
  } finally {
    disposeWindowTensors(data)
  }
}

async function benchModel(name: string, config: ModelConfig, train: boolean) {
  const model = buildModel(config, { seed: 1 })
  try {
    const oneWindow = await measureInference(model, config, {
      maxRuns: quick ? 30 : 300,
      budgetSeconds: quick ? 1 : 60
    })
    const batch64 = await batchPredict(model, config, 64, quick ? 3 : 25)
    const training = train
      ? await measureTraining(model, config, {
          batchSize,
          budgetSeconds: quick ? 1 : 10,
          minSteps: quick ? 3 : 15,
          maxSteps: quick ? 6 : 200
        })
      : null
    const kernelsPerStep = train ? await countLoopKernels(model, config, batchSize) : null
    let profiles: { predict: KernelTime[]; step: KernelTime[] | null } | null = null
    if (profile) {
      const window = randomWindows(config, 1, 17)
      const input = window.inputs.length === 1 ? window.inputs[0] : window.inputs
      const predict = await kernelTimes(() => {
        tf.tidy(() => model.predict(input) as tf.Tensor)
      })
      disposeWindowTensors(window)
      profiles = { predict, step: train ? await stepProfile(model, config) : null }
    }
    return { model: name, oneWindow, batch64, training, kernelsPerStep, profiles, load: loadavg()[0] }
  } finally {
    model.dispose()
  }
}

async function main(): Promise<void> {
  const backend = (values.backend ?? 'wasm') as BackendPreference
  const choice = await useBackend(backend)
  const names = (values.models ?? 'paper,native-rate').split(',') as ('paper' | 'native-rate')[]
  const train = values.training !== 'off'
  const results = []
  for (const name of names)
    results.push(await benchModel(name, parseModelConfig({ kind: name }), train && backend !== 'cpu'))
  process.stdout.write(`${JSON.stringify({ backend: choice.name, results })}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[bench:wasm] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exit(1)
})
