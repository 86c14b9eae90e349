/**
 * Windows/s and kernels per step of the product's training loop for one model on one backend, quickly, for
 * profiling. OP_TIMES=1 adds the native time per op and graph function; EMOHEAL_GRAPH_FUNCTIONS=0 runs the
 * layers' passes op by op through the binding. Usage:
 * PROBE=probe-native-step.ts node bench/probe-speed.mjs [--model native-rate|paper] [--backend tensorflow] [--seconds 8]
 */
import { parseArgs } from 'node:util'
import { useBackend, type BackendPreference } from '../src-main/engine/runtime/backend'
import { parseModelConfig } from '../src-main/engine/model'
import { timeNativeOps } from './op-timer'
import { buildModel, countLoopKernels, measureTraining } from './tfjs-measure'

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'native-rate' },
    backend: { type: 'string', default: 'tensorflow' },
    seconds: { type: 'string', default: '8' }
  },
  strict: true
})

async function main(): Promise<void> {
  await useBackend(values.backend as BackendPreference)
  const config = parseModelConfig({ kind: values.model as 'paper' | 'native-rate' })
  const model = buildModel(config, { seed: 1 })
  const kernels = await countLoopKernels(model, config, 32)
  const timer = process.env.OP_TIMES ? timeNativeOps() : null
  const figures = await measureTraining(model, config, {
    batchSize: 32,
    budgetSeconds: Number(values.seconds),
    minSteps: 10,
    maxSteps: 1000
  })
  // measureTraining runs 3 + 5 steps before the measured ones.
  timer?.report(figures.steps + 8)
  const stepMs = (1000 * figures.seconds) / figures.steps
  console.log(JSON.stringify({ model: values.model, backend: values.backend, kernels, ...figures, stepMs }))
}

void main()
