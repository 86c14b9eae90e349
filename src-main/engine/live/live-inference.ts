import { ValidationError } from '../../errors'
import type { WindowPredictor } from '../inference/window-predictor'
import type { ModelManifest } from '../registry/model-files'
import { normalizationFor, windowOptionsOf } from '../inference/session-inference'
import { normalizeInputs, type ChannelStats } from '../windows/normalize'
import { windowInputsAt, windowStreamNames, type LoadedStream } from '../windows/extract'
import { engineScale } from '../windows/session-streams'
import { coverage, gapTolerance } from '../windows/resample'
import type { Target, WindowOptions } from '../windows/types'
import { systemClock, type LiveClock } from '../../devices/clock'
import { SampleRing } from './sample-ring'

/** A stream a live source delivers: its name as the study stores it, nominal rate and channel count. */
export interface LiveStreamInfo {
  name: string
  rateHz: number
  channels: number
  /** The unit the source delivers; ACC in g or m/s² is scaled as a stored session's is (engineScale). */
  unit?: string
}

interface TickBase {
  /** The window is [endMs - windowMs, endMs). */
  endMs: number
  modelId: number | null
  target: Target
}

export interface LivePrediction extends TickBase {
  kind: 'prediction'
  probabilities: number[]
}

export interface LiveSkip extends TickBase {
  kind: 'skip'
  /** warming-up: the buffer does not reach back a whole window yet; gap: a stream has a hole or stopped. */
  reason: 'warming-up' | 'gap' | 'error'
  message: string
}

export type LiveTick = LivePrediction | LiveSkip

export interface LiveInferenceOptions {
  manifest: ModelManifest
  predictor: WindowPredictor
  modelId: number | null
  /** Every stream the source will push; those the model reads must be among them. */
  streams: LiveStreamInfo[]
  /** Whose normalization statistics to use; the pooled ones when absent or unknown to the model. */
  participant?: string | null
  clock?: LiveClock
  intervalMs?: number
  onTick?: (tick: LiveTick) => void
}

/** How much signal beyond one window a ring keeps: late chunks and the gap tolerance at the window's start. */
const MARGIN_MS = 5000

/**
 * Live inference over streamed samples: a ring buffer per stream the model reads, and every second the window
 * ending now, cut, resampled and normalized by the same code as training and session inference, through the
 * one-window predictor the live model was loaded with (load.ts).
 */
export class LiveInference {
  readonly windowOptions: WindowOptions & { target: Target }
  /** The streams the model reads, in the order the window code asks for them. */
  readonly needed: string[]
  private readonly rings = new Map<string, { info: LiveStreamInfo; scale: number; ring: SampleRing }>()
  private readonly declared: Set<string>
  private readonly stats: ChannelStats[] | null
  private readonly clock: LiveClock
  private cancel: (() => void) | null = null

  constructor(private readonly options: LiveInferenceOptions) {
    this.windowOptions = windowOptionsOf(options.manifest)
    if (this.windowOptions.preset === 'native' && this.windowOptions.sensors.length === 0)
      throw new ValidationError('the model lists no sensors', 'model')
    this.needed = windowStreamNames(this.windowOptions)
    this.declared = new Set(options.streams.map((stream) => stream.name))
    for (const name of this.needed) {
      const info = options.streams.find((stream) => stream.name === name)
      if (!info)
        throw new ValidationError(
          `the model reads the ${name} stream, which this source does not deliver (it has ${[...this.declared].join(', ') || 'none'})`,
          'streams'
        )
      const sensor = this.windowOptions.sensors.find((candidate) => candidate.name === name)
      if (this.windowOptions.preset === 'native' && sensor && sensor.channels !== info.channels)
        throw new ValidationError(
          `stream ${name} has ${info.channels} channels, the model expects ${sensor.channels}`,
          'streams'
        )
      const capacity = Math.ceil(((this.windowOptions.windowMs + MARGIN_MS) / 1000) * info.rateHz * 1.25) + 8
      const scale = info.unit === undefined ? 1 : engineScale(name, info.unit)
      this.rings.set(name, { info, scale, ring: new SampleRing(info.channels, capacity) })
    }
    this.stats = normalizationFor(options.manifest, options.participant ?? null)
    this.clock = options.clock ?? systemClock
  }

  get windowMs(): number {
    return this.windowOptions.windowMs
  }

  get running(): boolean {
    return this.cancel !== null
  }

  /** Adds samples of one stream (`values` interleaved by channel); streams the model does not read are ignored. */
  push(stream: string, timesMs: ArrayLike<number>, values: ArrayLike<number>): void {
    if (!this.declared.has(stream))
      throw new ValidationError(
        `unknown stream "${stream}": the source declared ${[...this.declared].join(', ')}`,
        'stream'
      )
    const entry = this.rings.get(stream)
    if (!entry) return
    entry.ring.push(timesMs, entry.scale === 1 ? values : Float64Array.from(values, (v) => v * entry.scale))
  }

  /** The prediction for the window ending at `endMs`, or why there is none. */
  predictAt(endMs: number): LiveTick {
    const base = { endMs, modelId: this.options.modelId, target: this.windowOptions.target }
    const startMs = endMs - this.windowOptions.windowMs
    const skip = (reason: LiveSkip['reason'], message: string): LiveSkip => ({
      ...base,
      kind: 'skip',
      reason,
      message
    })
    // Before the buffer reaches back a whole window the answer is "wait", not "gap".
    let latestFirst = -Infinity
    for (const name of this.needed) {
      const { info, ring } = this.rings.get(name)!
      if (ring.firstMs === null) return skip('warming-up', `waiting for the first ${name} samples`)
      if (ring.firstMs - startMs > gapTolerance(info.rateHz))
        latestFirst = Math.max(latestFirst, ring.firstMs)
    }
    if (latestFirst > -Infinity) {
      const have = Math.max(0, (endMs - latestFirst) / 1000)
      return skip(
        'warming-up',
        `not enough signal yet: ${have.toFixed(1)} of ${(this.windowOptions.windowMs / 1000).toFixed(0)} s`
      )
    }
    const streams = new Map<string, LoadedStream>()
    for (const name of this.needed) {
      const { info, ring } = this.rings.get(name)!
      streams.set(name, { rateHz: info.rateHz, data: ring.snapshot() })
    }
    const inputs = windowInputsAt(streams, endMs, this.windowOptions)
    if (typeof inputs === 'string') return skip('gap', this.gapMessage(streams, startMs, endMs))
    const prepared = this.stats ? normalizeInputs(inputs, this.stats) : inputs
    return { ...base, kind: 'prediction', probabilities: Array.from(this.options.predictor(prepared)) }
  }

  /** Predicts the window ending now and reports it. */
  tick(): LiveTick {
    const endMs = this.clock.now()
    let tick: LiveTick
    try {
      tick = this.predictAt(endMs)
    } catch (error) {
      // A throw from a timer would end the process: the failure becomes this second's result instead.
      tick = {
        kind: 'skip',
        reason: 'error',
        message: (error as Error).message,
        endMs,
        modelId: this.options.modelId,
        target: this.windowOptions.target
      }
    }
    this.options.onTick?.(tick)
    return tick
  }

  /** Ticks every second (or `intervalMs`) until stop(). */
  start(): void {
    if (this.cancel) return
    this.cancel = this.clock.every(this.options.intervalMs ?? 1000, () => this.tick())
  }

  stop(): void {
    this.cancel?.()
    this.cancel = null
  }

  /** Which stream broke the window, for the skip's message. */
  private gapMessage(streams: Map<string, LoadedStream>, startMs: number, endMs: number): string {
    for (const [name, stream] of streams) {
      const times = stream.data.times
      const inside = times.filter((t) => t >= startMs && t < endMs)
      const tolerance = gapTolerance(stream.rateHz)
      if (coverage(inside, startMs, endMs, tolerance) === 'ok') continue
      const last = inside.length ? inside[inside.length - 1] : times.length ? times[times.length - 1] : null
      if (last !== null && endMs - last > tolerance)
        return `a gap: no ${name} samples for the last ${((endMs - last) / 1000).toFixed(1)} s`
      return `a gap: the ${name} stream has a hole longer than ${(tolerance / 1000).toFixed(1)} s in this window`
    }
    return 'a gap in the signal'
  }
}
