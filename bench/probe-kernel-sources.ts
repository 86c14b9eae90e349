/** Where do a step's kernels of one name come from? Aggregates call sites of ENGINE.runKernel by name. */
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendPreference } from '../src-main/engine/runtime/backend'
import { buildModel, logitsModel, nativeRateInputShapes, parseModelConfig } from '../src-main/engine/model'
import { weightedCrossEntropy } from '../src-main/engine/training/loss'

async function main() {
  const [backend = 'tensorflow', name = 'Identity', kind = 'paper'] = process.argv.slice(2)
  await useBackend(backend as BackendPreference)
  const config = parseModelConfig({ kind })
  const model = buildModel(config, { seed: 3 })
  const logits = logitsModel(model)
  const shapes =
    config.kind === 'paper' ? [[config.steps, 5]] : nativeRateInputShapes(config).map((s) => s.shape)
  const inputs = shapes.map(([t, c]) => tf.randomNormal([32, t, c]))
  const labels = tf.tensor1d(
    Array.from({ length: 32 }, (_, i) => i % 2),
    'int32'
  )
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown }
  const original = engine.runKernel.bind(engine)
  const sites = new Map<string, number>()
  let recording = false
  engine.runKernel = (kernel: unknown, ...rest: unknown[]) => {
    if (recording && kernel === name) {
      const stack = (new Error().stack ?? '')
        .split('\n')
        .slice(2, 9)
        .map((l) => l.trim().replace(/\(.*node_modules\//, '('))
        .join(' < ')
      sites.set(stack, (sites.get(stack) ?? 0) + 1)
    }
    return original(kernel, ...rest)
  }
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () =>
          weightedCrossEntropy(
            logits.apply(inputs, { training: true }) as tf.Tensor2D,
            labels,
            tf.tensor1d([1, 1])
          ),
        variables
      )
      return grads
    })
  step()
  recording = true
  const counts = new Map<string, number>()
  const profile = await tf.profile(() => step())
  recording = false
  for (const k of profile.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1)
  console.log(
    'forward+backward kernels',
    profile.kernels.length,
    [...counts].sort((a, b) => b[1] - a[1]).slice(0, 15)
  )
  for (const [site, count] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(count, site)
}
void main()
