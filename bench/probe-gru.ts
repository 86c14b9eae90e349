/** Time of the BiGRU's forward+backward alone, as the native-rate model runs it (for profiling). */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src-main/engine/runtime/backend'
import { PytorchGru } from '../src-main/engine/layers'

async function main(): Promise<void> {
  await useBackend('tensorflow')
  const units = Number(process.env.UNITS ?? 32)
  const features = Number(process.env.FEATURES ?? 64)
  const layers = Number(process.env.LAYERS ?? 1)
  const gru = new PytorchGru({ units, numLayers: layers, bidirectional: true, seed: 1 })
  const x = tf.randomNormal([32, 20, features])
  gru.apply(x)
  const variables = gru.trainableWeights.map((w) => w.read() as tf.Variable)
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(gru.apply(x, { training: true }) as tf.Tensor)),
        variables
      )
      value.dataSync()
      return Object.keys(grads).length
    })
  for (let i = 0; i < 5; i++) step()
  const info = await tf.profile(() => {
    step()
  })
  const n = 30
  const started = performance.now()
  for (let i = 0; i < n; i++) step()
  console.log(
    JSON.stringify({
      units,
      features,
      layers,
      kernels: info.kernels.length,
      stepMs: (performance.now() - started) / n
    })
  )
}
void main()
