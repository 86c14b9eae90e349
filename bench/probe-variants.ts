/**
 * Training speed of native-rate variants on one backend: kernels per step and CPU ms per step (batch 32,
 * the flat-Adam step of the training loop). Run: PROBE=probe-variants.ts TF_NUM_INTRAOP_THREADS=1
 * node bench/probe-speed.mjs tensorflow '{"fusionSteps":10}' '{"filters":24}' ... [--steps=N]
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendPreference } from '../src-main/engine/runtime/backend'
import { buildModel, logitsModel, nativeRateInputShapes, parseModelConfig } from '../src-main/engine/model'
import type { NativeRateModelConfig } from '../src-main/engine/model'
import { weightedCrossEntropy } from '../src-main/engine/training/loss'
import { FlatAdam } from '../src-main/engine/training/flat-adam'

async function probe(overrides: Record<string, unknown>, steps: number) {
  const config = parseModelConfig({ kind: 'native-rate', ...overrides }) as NativeRateModelConfig
  const model = buildModel(config, { seed: 3 })
  const logits = logitsModel(model)
  const inputs = nativeRateInputShapes(config).map(({ shape: [t, c] }, i) =>
    tf.randomNormal([32, t, c], 0, 1, 'float32', i + 1)
  )
  const labels = tf.tensor1d(
    Array.from({ length: 32 }, (_, i) => i % 2),
    'int32'
  )
  const classWeights = tf.tensor1d([1, 1])
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  const optimizer = new FlatAdam(variables, { learningRate: 5e-4, weightDecay: 1e-4 })
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          weightedCrossEntropy(logits.apply(inputs, { training: true }) as tf.Tensor2D, labels, classWeights),
        variables
      )
      optimizer.step(grads)
      value.dataSync()
    })
  for (let i = 0; i < 3; i++) step()
  const profile = await tf.profile(() => step())
  const real = profile.kernels.filter((k) => k.name !== 'Identity').length
  const byName = new Map<string, number>()
  for (const k of profile.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1)
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < steps; i++) step()
  const cpu = process.cpuUsage(cpuBefore)
  const wallMs = (performance.now() - started) / steps
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps
  console.log(
    JSON.stringify({
      overrides,
      parameters: model.countParams(),
      kernels: profile.kernels.length,
      kernelsWithoutIdentity: real,
      cpuStepMs: +cpuMs.toFixed(1),
      windowsPerCpuSecond: Math.round(32000 / cpuMs),
      windowsPerSecond: Math.round(32000 / wallMs),
      topKernels: [...byName]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([name, count]) => `${name}:${count}`)
        .join(' ')
    })
  )
  tf.dispose([...inputs, labels, classWeights])
  model.dispose()
}

async function main() {
  const args = process.argv.slice(2)
  const backend = args[0] ?? 'tensorflow'
  const stepsArg = args.find((a) => a.startsWith('--steps='))
  const steps = stepsArg ? Number(stepsArg.split('=')[1]) : 20
  const variants = args.slice(1).filter((a) => a.startsWith('{'))
  await useBackend(backend as BackendPreference)
  for (const variant of variants.length ? variants : ['{}'])
    await probe(JSON.parse(variant) as Record<string, unknown>, steps)
}

void main()
