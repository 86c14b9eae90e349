/**
 * One-window inference on the plain-JS path (inference/plain-js-predictor.ts) beside model.predict on the same
 * backend and, where `EMOHEAL_PEER_PREDICTOR` names a bundle exporting `createPlainJsPredictor(model, config)`
 * (another version of the plain-JS predictor, e.g. an older commit's), that peer, timed call by call in turn
 * so that both see the same machine load. Prints one JSON line. Run through bench/one-window.mjs.
 */
import * as tf from '@tensorflow/tfjs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { useBackend, type BackendPreference } from '../src-main/engine/runtime/backend'
import { createPlainJsPredictor, type WindowPredictor } from '../src-main/engine/inference'
import { buildModel, parseModelConfig, type ModelConfig } from '../src-main/engine/model'
import { inputShapesOf } from './tfjs-measure'

type PeerFactory = (model: tf.LayersModel, config: ModelConfig) => WindowPredictor

const { values } = parseArgs({
  options: { calls: { type: 'string' }, backends: { type: 'string' } },
  strict: true
})
const calls = Number(values.calls ?? 400)
const backends = (values.backends ?? 'wasm,cpu').split(',') as BackendPreference[]
const peerFile = process.env.EMOHEAL_PEER_PREDICTOR
// eslint-disable-next-line @typescript-eslint/no-require-imports
const peer = peerFile ? (require(peerFile) as { createPlainJsPredictor: PeerFactory }) : null

const median = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]

function cpuPerCall(predict: () => unknown, calls: number): number {
  const before = process.cpuUsage()
  for (let call = 0; call < calls; call++) predict()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000 / calls
}

function timed(predict: () => unknown): number {
  const started = performance.now()
  predict()
  return performance.now() - started
}

async function measure(backend: BackendPreference, kind: 'paper' | 'native-rate') {
  const config = parseModelConfig({ kind })
  const model = buildModel(config, { seed: 3 })
  const window = inputShapesOf(config).map(([steps, channels]) =>
    Float32Array.from({ length: steps * channels }, (_, i) => Math.sin(i * 0.37) * 1.5)
  )
  const created = performance.now()
  const predict = createPlainJsPredictor(model)
  const creationMs = performance.now() - created
  const old = peer?.createPlainJsPredictor(model, config) ?? null
  const largest = old
    ? Math.max(...Array.from(predict(window), (value, i) => Math.abs(value - old(window)[i])))
    : null
  for (let warm = 0; warm < 50; warm++) {
    predict(window)
    old?.(window)
  }
  const [own, theirs]: number[][] = [[], []]
  for (let call = 0; call < calls; call++) {
    own.push(timed(() => predict(window)))
    if (old) theirs.push(timed(() => old(window)))
  }
  // CPU time per call, in blocks of 20 calls taken in turn: on a shared machine it moves less than wall time.
  const [ownCpu, theirCpu]: number[][] = [[], []]
  for (let block = 0; block < Math.ceil(calls / 20); block++) {
    ownCpu.push(cpuPerCall(() => predict(window), 20))
    if (old) theirCpu.push(cpuPerCall(() => old(window), 20))
  }
  const tensors = window.map((values, i) => tf.tensor3d(values, [1, ...inputShapesOf(config)[i]]))
  const input = tensors.length === 1 ? tensors[0] : tensors
  const predictTimes: number[] = []
  for (let call = 0; call < Math.min(calls, 60) + 5; call++) {
    const time = timed(() => tf.tidy(() => (model.predict(input) as tf.Tensor).dataSync()))
    if (call >= 5) predictTimes.push(time)
  }
  tf.dispose(tensors)
  model.dispose()
  return {
    backend,
    kind,
    calls,
    plainJsMs: median(own),
    peerMs: old ? median(theirs) : null,
    plainJsCpuMs: median(ownCpu),
    peerCpuMs: old ? median(theirCpu) : null,
    modelPredictMs: median(predictTimes),
    creationMs,
    largestDifferenceFromPeer: largest
  }
}

async function main() {
  const load = [loadavg()[0]]
  const rows = []
  for (const backend of backends) {
    await useBackend(backend)
    for (const kind of ['paper', 'native-rate'] as const) rows.push(await measure(backend, kind))
  }
  load.push(loadavg()[0])
  process.stdout.write(`${JSON.stringify({ load, peer: peerFile ?? null, rows })}\n`)
}
void main()
