/**
 * PytorchGru's training forward+backward (input gradient included, as inside a model) op by op and fused, for
 * choosing fused-gru.ts's 'auto' rule. Usage:
 * PROBE=probe-gru-forms.ts UNITS=32 FEATURES=64 LAYERS=1 STEPS=20 BATCH=32 [BACKEND=tensorflow] \
 *   node bench/probe-speed.mjs
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendPreference } from '../src-main/engine/backend'
import { PytorchGru } from '../src-main/engine/layers'
import { setGruForm, type GruForm } from '../src-main/engine/layers/fused-gru'

async function main(): Promise<void> {
  await useBackend((process.env.BACKEND ?? 'tensorflow') as BackendPreference)
  const units = Number(process.env.UNITS ?? 32)
  const features = Number(process.env.FEATURES ?? 64)
  const layers = Number(process.env.LAYERS ?? 1)
  const steps = Number(process.env.STEPS ?? 20)
  const batch = Number(process.env.BATCH ?? 32)
  const repeats = Number(process.env.REPEATS ?? 20)
  const gru = new PytorchGru({ units, numLayers: layers, bidirectional: true, seed: 1 })
  const input = tf.variable(tf.randomNormal([batch, steps, features]))
  gru.apply(input)
  const variables = [...gru.trainableWeights.map((w) => w.read() as tf.Variable), input]
  const step = () =>
    tf.tidy(() => {
      const { value } = tf.variableGrads(
        () => tf.sum(tf.square(gru.apply(input, { training: true }) as tf.Tensor)),
        variables
      )
      value.dataSync()
    })
  const results: Record<string, { kernels: number; stepMs: number; cpuMs: number }> = {}
  // Alternating rounds so that a neighbour's load on the shared machine hits both forms alike.
  const forms: GruForm[] = ['ops', 'fused']
  const times: Record<string, number[]> = { ops: [], fused: [] }
  // CPU time (all threads) beside wall time: on a shared machine it is the steadier figure.
  const cpu: Record<string, number[]> = { ops: [], fused: [] }
  for (const form of forms) {
    setGruForm(form)
    for (let i = 0; i < 3; i++) step()
    const info = await tf.profile(() => {
      step()
    })
    results[form] = { kernels: info.kernels.length, stepMs: 0, cpuMs: 0 }
  }
  for (let round = 0; round < 3; round++)
    for (const form of forms) {
      setGruForm(form)
      const started = performance.now()
      const cpuStarted = process.cpuUsage()
      for (let i = 0; i < repeats; i++) step()
      const used = process.cpuUsage(cpuStarted)
      times[form].push((performance.now() - started) / repeats)
      cpu[form].push((used.user + used.system) / 1000 / repeats)
    }
  for (const form of forms) {
    results[form].stepMs = +Math.min(...times[form]).toFixed(2)
    results[form].cpuMs = +Math.min(...cpu[form]).toFixed(2)
  }
  console.log(JSON.stringify({ backend: tf.getBackend(), batch, steps, units, features, layers, ...results }))
}
void main()
