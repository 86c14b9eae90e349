import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SimulatedWristband } from '../../src-main/devices/simulator'
import { LiveInference, type LiveTick } from '../../src-main/engine/live/live-inference'
import { loadLiveModel } from '../../src-main/engine/live/load'
import { listBackends } from '../../src-main/engine/runtime/backend'
import { createModelPredictor, type WindowPredictor } from '../../src-main/engine/inference/window-predictor'
import {
  loadModel,
  modelManifestSchema,
  type ModelManifest
} from '../../src-main/engine/registry/model-files'
import { createGraphPredictor } from '../../src-main/engine/inference/graph-predictor'
import { graphFunctionsPresent } from '../../src-main/engine/executors/graph-ops'
import { parseModelConfig } from '../../src-main/engine/model'
import { predictSession } from '../../src-main/engine/inference/session-inference'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { savedModel, syntheticStudy } from './live-fixture'
import { ManualClock } from './manual-clock'

const nativeFunctions =
  (await listBackends()).some((status) => status.name === 'tensorflow' && status.available) &&
  graphFunctionsPresent()
console.log(
  `[live inference] the whole-model TensorFlow function path is ${nativeFunctions ? '' : 'not '}tested here`
)

const STREAMS = [
  { name: 'bvp', rateHz: 64, channels: 1 },
  { name: 'eda', rateHz: 4, channels: 1 },
  { name: 'temp', rateHz: 4, channels: 1 },
  { name: 'acc', rateHz: 32, channels: 3 },
  { name: 'hr', rateHz: 1, channels: 1 }
]

interface StoredStream {
  name: string
  times: Float64Array
  samples: Float32Array
  channels: number
}

function sessionStreams(study: StudyStore, sessionId: number): StoredStream[] {
  const signals = new SignalStore(study.db)
  return study
    .getSession(sessionId)
    .streams.filter((stream) => STREAMS.some((known) => known.name === stream.name))
    .map((stream) => {
      const data = signals.read(stream.id)
      return { name: stream.name, times: data.times, samples: data.samples, channels: data.channelCount }
    })
}

/**
 * Replays a stored session into live inference as a device would deliver it (250-ms chunks, every stream
 * interleaved) and asks for the window ending at each time once the samples up to it have arrived.
 */
function replay(live: LiveInference, streams: StoredStream[], endTimes: number[]): LiveTick[] {
  const next = new Map(streams.map((stream) => [stream.name, 0]))
  const first = Math.min(...streams.map((stream) => stream.times[0]))
  let now = first
  const ticks: LiveTick[] = []
  for (const endMs of endTimes) {
    while (now < endMs) {
      now = Math.min(now + 250, endMs)
      for (const stream of streams) {
        const from = next.get(stream.name)!
        let to = from
        while (to < stream.times.length && stream.times[to] <= now) to++
        live.push(
          stream.name,
          stream.times.subarray(from, to),
          stream.samples.subarray(from * stream.channels, to * stream.channels)
        )
        next.set(stream.name, to)
      }
    }
    ticks.push(live.predictAt(endMs))
  }
  return ticks
}

describe('live inference gives what session inference gives for the same windows', () => {
  let study: StudyStore
  let dir: string

  beforeAll(async () => {
    await tf.setBackend('wasm')
    ;({ study, dir } = syntheticStudy({ participants: 2, minutes: 2, seed: 11 }))
  })
  afterAll(() => study?.close())

  it.each([
    ['paper', { kind: 'paper' as const }],
    ['native-rate', { kind: 'native-rate' as const, filters: 8, gruUnits: 12 }]
  ])(
    '%s model',
    async (name, config) => {
      const directory = await savedModel(study, join(dir, `model-${name}`), config, 3)
      const { manifest, predictor, path, timings, release } = await loadLiveModel(directory)
      // Without native TensorFlow's functions: the model's ONNX graph on ONNX Runtime, a dependency that loads.
      expect(path).toBe('onnxruntime')
      expect(timings.onnxruntime).toBeGreaterThan(0)
      await compareWithStored(directory, manifest, predictor)
      release()
      // model.predict, the path left where neither loads: it must predict the same.
      const fallback = await loadModel(directory)
      await compareWithStored(directory, manifest, createModelPredictor(fallback.model))
      fallback.model.dispose()
      // Where native TensorFlow registers functions, the whole model as one function is the other path
      // live inference may take (the faster of the two, measured at start): it must predict the same.
      if (nativeFunctions) {
        await tf.setBackend('tensorflow')
        try {
          const loaded = await loadModel(directory)
          const native = createGraphPredictor(loaded.model)
          expect(native).not.toBeNull()
          await compareWithStored(directory, loaded.manifest, native as WindowPredictor)
          loaded.model.dispose()
          const chosen = await loadLiveModel(directory)
          expect(['tensorflow function', 'onnxruntime']).toContain(chosen.path)
          chosen.release()
        } finally {
          await tf.setBackend('wasm')
        }
      }
    },
    120_000
  )

  async function compareWithStored(directory: string, manifest: ModelManifest, predictor: WindowPredictor) {
    for (const session of study.listSessions()) {
      const stored = await predictSession(study, directory, session.id, null)
      expect(stored.predictions.length).toBeGreaterThan(15)
      const endTimes = stored.predictions.map((prediction) => prediction.windowEndMs)
      const live = (participant: string | null) =>
        new LiveInference({ manifest, predictor, modelId: 1, streams: STREAMS, participant })
      const streams = sessionStreams(study, session.id)

      const ticks = replay(live(session.participantCode), streams, endTimes)
      let largest = 0
      ticks.forEach((tick, index) => {
        expect(tick, `window ending ${tick.endMs}`).toMatchObject({
          kind: 'prediction',
          endMs: endTimes[index]
        })
        if (tick.kind !== 'prediction') return
        tick.probabilities.forEach(
          (p, k) => (largest = Math.max(largest, Math.abs(p - stored.predictions[index].probabilities[k])))
        )
      })
      expect(largest).toBeLessThan(1e-4)
      // The windows differ enough that a misplaced or mis-scaled window would show.
      const high = stored.predictions.map((prediction) => prediction.probabilities[1])
      expect(Math.max(...high) - Math.min(...high)).toBeGreaterThan(0.01)

      // The same replay with the pooled statistics instead of the participant's is visibly different.
      const pooled = replay(live(null), streams, endTimes)
      const moved = pooled.map((tick, index) =>
        tick.kind === 'prediction' ? Math.abs(tick.probabilities[1] - high[index]) : 0
      )
      expect(Math.max(...moved)).toBeGreaterThan(1e-3)
    }
  }
})

/** A native-rate manifest with default sensors and a predictor that records what it was given. */
function stubbed(options: { clock?: ManualClock; onTick?: (tick: LiveTick) => void; fail?: boolean } = {}) {
  const manifest = modelManifestSchema.parse({
    format: 'emoheal-model',
    version: 1,
    createdAt: new Date(0).toISOString(),
    config: parseModelConfig({ kind: 'native-rate' }),
    parameterCount: 0,
    labels: ['low', 'high']
  })
  const seen: Float32Array[][] = []
  const predictor = (window: Float32Array | Float32Array[]) => {
    if (options.fail) throw new Error('predictor broke')
    seen.push(window as Float32Array[])
    return Float32Array.of(0.25, 0.75)
  }
  const live = new LiveInference({
    manifest,
    predictor,
    modelId: 7,
    streams: STREAMS,
    clock: options.clock,
    onTick: options.onTick
  })
  return { live, seen }
}

describe('live inference timing and skips', () => {
  const t0 = Date.UTC(2026, 4, 1, 12, 0, 0)

  it('ticks once a second with the simulator streaming, skips until a window is full, and stop stops it', () => {
    const clock = new ManualClock(t0)
    const ticks: LiveTick[] = []
    const { live, seen } = stubbed({ clock, onTick: (tick) => ticks.push(tick) })
    const wristband = new SimulatedWristband({ seed: 1, clock })
    wristband.start((chunks) => chunks.forEach((chunk) => live.push(chunk.stream, chunk.times, chunk.values)))
    live.start()
    clock.advance(12_000)
    expect(ticks.map((tick) => tick.endMs)).toEqual(Array.from({ length: 12 }, (_, k) => t0 + (k + 1) * 1000))
    // A 5-s window: the ticks at 1..3 s wait for signal. At 4 s the missing second is within the gap
    // tolerance (1.1 s) that stored windows get too, so every tick from 4 s on predicts.
    expect(ticks.slice(0, 3).map((tick) => (tick.kind === 'skip' ? tick.reason : tick.kind))).toEqual(
      Array(3).fill('warming-up')
    )
    expect(ticks[2]).toMatchObject({ message: 'not enough signal yet: 3.0 of 5 s' })
    expect(ticks.slice(3).every((tick) => tick.kind === 'prediction')).toBe(true)
    expect(ticks[11]).toMatchObject({
      kind: 'prediction',
      probabilities: [0.25, 0.75],
      modelId: 7,
      target: 'arousal'
    })
    // The predictor got the model's input shapes: bvp 320x1, eda 20, temp 20, acc 160x3.
    expect(seen[0].map((input) => input.length)).toEqual([320, 20, 20, 480])

    live.stop()
    wristband.stop()
    expect(clock.timerCount).toBe(0)
    clock.advance(5000)
    expect(ticks).toHaveLength(12)
    expect(live.running).toBe(false)
  })

  it('runs on its own timer with the system clock', () => {
    vi.useFakeTimers({ now: t0 })
    try {
      const ticks: LiveTick[] = []
      const { live } = stubbed({ onTick: (tick) => ticks.push(tick) })
      live.start()
      vi.advanceTimersByTime(3500)
      expect(ticks.map((tick) => tick.endMs)).toEqual([t0 + 1000, t0 + 2000, t0 + 3000])
      expect(ticks.every((tick) => tick.kind === 'skip' && tick.reason === 'warming-up')).toBe(true)
      expect(ticks[0]).toMatchObject({ message: 'waiting for the first bvp samples' })
      live.stop()
      vi.advanceTimersByTime(5000)
      expect(ticks).toHaveLength(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('reports a gap when a stream stops, and predicts again once a whole window has arrived', () => {
    const clock = new ManualClock(t0)
    const ticks: LiveTick[] = []
    const { live } = stubbed({ clock, onTick: (tick) => ticks.push(tick) })
    const wristband = new SimulatedWristband({ seed: 2, clock })
    let edaCut = false
    wristband.start((chunks) =>
      chunks.forEach((chunk) => {
        if (!(edaCut && chunk.stream === 'eda')) live.push(chunk.stream, chunk.times, chunk.values)
      })
    )
    live.start()
    clock.advance(8000)
    expect(ticks.at(-1)?.kind).toBe('prediction')
    edaCut = true
    clock.advance(3000)
    // EDA at 4 Hz tolerates 1.1 s without samples: the tick 1 s after the cut still predicts, later ones not.
    const afterCut = ticks.slice(8)
    expect(afterCut[0].kind).toBe('prediction')
    expect(afterCut.slice(1).map((tick) => (tick.kind === 'skip' ? tick.reason : tick.kind))).toEqual([
      'gap',
      'gap'
    ])
    expect(afterCut[2]).toMatchObject({ message: 'a gap: no eda samples for the last 3.0 s' })
    edaCut = false
    clock.advance(3000)
    // Back for 3 s: the window still holds the hole.
    expect(ticks.slice(11).map((tick) => tick.kind)).toEqual(['skip', 'skip', 'skip'])
    expect(ticks.at(-1)).toMatchObject({ reason: 'gap' })
    clock.advance(4000)
    expect(ticks.at(-1)?.kind).toBe('prediction')
    live.stop()
    wristband.stop()
  })

  it('turns a failing predictor into an error result and keeps ticking', () => {
    const clock = new ManualClock(t0)
    const ticks: LiveTick[] = []
    const { live } = stubbed({ clock, onTick: (tick) => ticks.push(tick), fail: true })
    const wristband = new SimulatedWristband({ seed: 3, clock })
    wristband.start((chunks) => chunks.forEach((chunk) => live.push(chunk.stream, chunk.times, chunk.values)))
    live.start()
    clock.advance(6000)
    live.stop()
    wristband.stop()
    expect(ticks).toHaveLength(6)
    expect(ticks.at(-1)).toMatchObject({ kind: 'skip', reason: 'error', message: 'predictor broke' })
  })

  it('refuses a source without a stream the model reads, or with the wrong channels', () => {
    const manifest = modelManifestSchema.parse({
      format: 'emoheal-model',
      version: 1,
      createdAt: new Date(0).toISOString(),
      config: parseModelConfig({ kind: 'paper' }),
      parameterCount: 0,
      labels: ['low', 'high']
    })
    const predictor = () => Float32Array.of(0.5, 0.5)
    const withoutHr = STREAMS.filter((stream) => stream.name !== 'hr')
    expect(() => new LiveInference({ manifest, predictor, modelId: 1, streams: withoutHr })).toThrow(
      /reads the hr stream, which this source does not deliver/
    )
    const native = { ...manifest, config: parseModelConfig({ kind: 'native-rate' }) }
    const flatAcc = STREAMS.map((stream) => (stream.name === 'acc' ? { ...stream, channels: 1 } : stream))
    expect(() => new LiveInference({ manifest: native, predictor, modelId: 1, streams: flatAcc })).toThrow(
      /stream acc has 1 channels, the model expects 3/
    )
    const live = new LiveInference({ manifest: native, predictor, modelId: 1, streams: STREAMS })
    expect(() => live.push('ppg', [1], [1])).toThrow(/unknown stream "ppg"/)
    expect(() => live.push('acc', [1, 2], [1, 2, 3])).toThrow(/2 times need 6 values/)
  })
})

describe('live inference reads ACC units as a stored session does', () => {
  it('gives the model the same window for ACC delivered in g as in the E4 1/64 g', () => {
    const manifest = modelManifestSchema.parse({
      format: 'emoheal-model',
      version: 1,
      createdAt: new Date(0).toISOString(),
      config: parseModelConfig({ kind: 'native-rate' }),
      parameterCount: 0,
      labels: ['low', 'high']
    })
    const run = (unit: string, scale: number) => {
      const seen: Float32Array[][] = []
      const live = new LiveInference({
        manifest,
        predictor: (window) => {
          seen.push(window as Float32Array[])
          return Float32Array.of(0.5, 0.5)
        },
        modelId: 1,
        streams: STREAMS.map((stream) => (stream.name === 'acc' ? { ...stream, unit } : stream))
      })
      for (const stream of STREAMS) {
        const count = stream.rateHz * 12
        const times = Float64Array.from({ length: count }, (_, i) => (i * 1000) / stream.rateHz)
        const values = Float64Array.from({ length: count * stream.channels }, (_, i) =>
          stream.name === 'acc' ? (Math.sin(i / 7) * 64) / scale : 1 + Math.cos(i / 5)
        )
        live.push(stream.name, times, values)
      }
      expect(live.predictAt(10_000)).toMatchObject({ kind: 'prediction' })
      return seen[0]
    }
    const e4 = run('1/64 g', 1)
    const g = run('g', 64)
    expect(g.length).toBe(e4.length)
    g.forEach((input, k) => input.forEach((value, i) => expect(value).toBeCloseTo(e4[k][i], 4)))
    // Not scaled, the g stream would reach the model 64 times smaller.
    const unscaled = run('unknown unit', 64)
    expect(unscaled.some((input, k) => input.some((v, i) => Math.abs(v - e4[k][i]) > 1e-3))).toBe(true)
  })
})
