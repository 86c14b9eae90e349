/**
 * Speed probe for the EmoHeal engine: training windows/s (batch 32, the training loop's step: forward,
 * backward, weight decay, Adam) and one-window inference ms, with kernel counts, per backend and model.
 * Run: TF_NUM_INTRAOP_THREADS=1 node bench/probe-speed.mjs [tensorflow] [wasm] [--models=paper,native-rate]
 * [--steps=N] [--fused] (--fused: FlatAdam instead of tf.train.adam; KERNEL_TIMES=1 adds kernel times by name).
 * Median step wall time, and CPU time per step, which moves less when other processes share the cores.
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendPreference } from '../src-main/engine/runtime/backend'
import {
  buildModel,
  logitsModel,
  nativeRateInputShapes,
  parseModelConfig,
  type ModelConfig
} from '../src-main/engine/model'
import { weightedCrossEntropy } from '../src-main/engine/training/loss'
import { FlatAdam } from '../src-main/engine/training/flat-adam'

function shapes(config: ModelConfig): [number, number][] {
  return config.kind === 'paper' ? [[config.steps, 5]] : nativeRateInputShapes(config).map((s) => s.shape)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

type Step = () => void

function makeStep(model: tf.LayersModel, inputs: tf.Tensor[], labels: tf.Tensor1D, fused: boolean): Step {
  const logits = logitsModel(model)
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  const classWeights = tf.tensor1d([1, 1])
  const weightDecay = 1e-4
  if (fused) {
    const optimizer = new FlatAdam(variables, { learningRate: 5e-4, weightDecay })
    return () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () =>
            weightedCrossEntropy(
              logits.apply(inputs, { training: true }) as tf.Tensor2D,
              labels,
              classWeights
            ),
          variables
        )
        optimizer.step(grads)
        value.dataSync()
      })
  }
  const optimizer = tf.train.adam(5e-4)
  return () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          weightedCrossEntropy(logits.apply(inputs, { training: true }) as tf.Tensor2D, labels, classWeights),
        variables
      )
      optimizer.applyGradients(
        variables.flatMap((variable) =>
          grads[variable.name]
            ? [{ name: variable.name, tensor: tf.add(grads[variable.name], tf.mul(variable, weightDecay)) }]
            : []
        )
      )
      value.dataSync()
    })
}

async function probe(backend: string, kind: 'paper' | 'native-rate', steps: number, fused: boolean) {
  const config = parseModelConfig({ kind })
  const model = buildModel(config, { seed: 3 })
  const batch = 32
  const inputs = shapes(config).map(([t, c], i) => tf.randomNormal([batch, t, c], 0, 1, 'float32', i + 1))
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 2),
    'int32'
  )
  const step = makeStep(model, inputs, labels, fused)
  for (let i = 0; i < 3; i++) step()
  const profile = await tf.profile(() => step())
  const trainKernels = profile.kernels.length
  const byName = new Map<string, number>()
  const timeByName = new Map<string, number>()
  for (const k of profile.kernels) {
    byName.set(k.name, (byName.get(k.name) ?? 0) + 1)
    if (!k.name.endsWith('__op') && k.name !== 'unnamed scope')
      timeByName.set(k.name, (timeByName.get(k.name) ?? 0) + (k.kernelTimeMs as number))
  }
  if (process.env.KERNEL_TIMES) {
    // Ten more profiled steps: one is too noisy on a shared machine.
    for (let i = 0; i < 10; i++) {
      const more = await tf.profile(() => step())
      for (const k of more.kernels)
        if (!k.name.endsWith('__op') && k.name !== 'unnamed scope')
          timeByName.set(k.name, (timeByName.get(k.name) ?? 0) + (k.kernelTimeMs as number))
    }
    const shapeTimes = new Map<string, number>()
    for (const k of profile.kernels) {
      const key = `${k.name}${JSON.stringify(k.inputShapes)}`
      shapeTimes.set(key, (shapeTimes.get(key) ?? 0) + (k.kernelTimeMs as number))
    }
    console.log(
      [...shapeTimes]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([n, t]) => `${n} ${t.toFixed(2)}`)
        .join('\n')
    )
  }
  if (process.env.KERNEL_TIMES)
    console.log(
      [...timeByName]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([n, t]) => `${n}:${byName.get(n)}:${t.toFixed(1)}ms`)
        .join(' '),
      'total',
      [...timeByName.values()].reduce((a, b) => a + b, 0).toFixed(1)
    )
  const stepTimes: number[] = []
  const cpuBefore = process.cpuUsage()
  for (let i = 0; i < steps; i++) {
    const started = performance.now()
    step()
    stepTimes.push(performance.now() - started)
  }
  const cpu = process.cpuUsage(cpuBefore)
  // CPU time per step: less sensitive than wall time to other processes on a shared machine.
  const cpuStepMs = (cpu.user + cpu.system) / 1000 / steps
  const one = shapes(config).map(([t, c], i) => tf.randomNormal([1, t, c], 0, 1, 'float32', i + 10))
  const infer = () => {
    const out = model.predict(one) as tf.Tensor
    out.dataSync()
    out.dispose()
  }
  for (let i = 0; i < 5; i++) infer()
  const inferProfile = await tf.profile(() => infer())
  const inferTimes: number[] = []
  const inferCpuBefore = process.cpuUsage()
  for (let i = 0; i < 50; i++) {
    const started = performance.now()
    infer()
    inferTimes.push(performance.now() - started)
  }
  const inferCpu = process.cpuUsage(inferCpuBefore)
  const stepMs = median(stepTimes)
  console.log(
    JSON.stringify({
      backend,
      model: kind,
      fusedAdam: fused,
      trainKernels,
      trainStepMs: +stepMs.toFixed(2),
      windowsPerSecond: Math.round((batch * 1000) / stepMs),
      cpuStepMs: +cpuStepMs.toFixed(2),
      windowsPerCpuSecond: Math.round((batch * 1000) / cpuStepMs),
      inferenceKernels: inferProfile.kernels.length,
      inferenceMs: +median(inferTimes).toFixed(3),
      inferenceCpuMs: +((inferCpu.user + inferCpu.system) / 1000 / 50).toFixed(3),
      topKernels: [...byName.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([n, c]) => `${n}:${c}`)
        .join(' ')
    })
  )
  tf.dispose([...inputs, labels, ...one])
  model.dispose()
}

async function main() {
  const args = process.argv.slice(2)
  const backends = args.filter((a) => !a.startsWith('--') && !/^\d+$/.test(a) && !a.includes(','))
  const modelsArg = args.find((a) => a.startsWith('--models='))
  const stepsArg = args.find((a) => a.startsWith('--steps='))
  const fused = args.includes('--fused')
  const models = (modelsArg ? modelsArg.split('=')[1].split(',') : ['paper', 'native-rate']) as (
    'paper' | 'native-rate'
  )[]
  const steps = stepsArg ? Number(stepsArg.split('=')[1]) : 20
  for (const backend of backends.length ? backends : ['tensorflow', 'wasm']) {
    const choice = await useBackend(backend as BackendPreference)
    for (const kind of models) await probe(choice.name, kind, steps, fused)
  }
}

void main()
