/** Fast single-window predictor timing (min and median of many calls), without tfjs kernels in the loop. */
import * as tf from '@tensorflow/tfjs'
import { createPlainJsPredictor } from '../src-main/engine/inference'
import { buildModel, nativeRateInputShapes, parseModelConfig } from '../src-main/engine/model'

async function main() {
  await tf.setBackend('cpu')
  for (const kind of ['paper', 'native-rate'] as const) {
    const config = parseModelConfig({ kind })
    const model = buildModel(config, { seed: 3 })
    const shapes =
      config.kind === 'paper' ? [[config.steps, 5]] : nativeRateInputShapes(config).map((s) => s.shape)
    const window = shapes.map(([t, c]) => Float32Array.from({ length: t * c }, () => Math.random() * 2 - 1))
    const fast = createPlainJsPredictor(model)
    const times: number[] = []
    for (let i = 0; i < 500; i++) fast(window)
    const cpuBefore = process.cpuUsage()
    for (let i = 0; i < 2000; i++) {
      const started = performance.now()
      fast(window)
      times.push(performance.now() - started)
    }
    const cpu = process.cpuUsage(cpuBefore)
    const sorted = times.sort((a, b) => a - b)
    const cpuMs = (cpu.user + cpu.system) / 1000 / times.length
    console.log(
      kind,
      'min',
      sorted[0].toFixed(3),
      'median',
      sorted[sorted.length >> 1].toFixed(3),
      'cpu',
      cpuMs.toFixed(3),
      'ms'
    )
  }
}
void main()
