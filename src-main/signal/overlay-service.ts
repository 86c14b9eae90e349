import { NotFoundError } from '../errors'
import { OVERLAYS_BY_STREAM } from '../ipc/contract/signals'
import type { OverlayKind, OverlayResult, OverlaySpan, SignalOverlays, StreamInfo } from '../ipc/contract'
import type { StudyStore } from '../store/study-store'
import type { SignalData } from '../store/signal-store'
import { float32ToBase64 } from './base64'
import { lowerBound, reduceMinMax } from './downsample'
import { accMagnitude, motionFlags } from './dsp/acc'
import { edaClean, edaPeaks, edaPhasic } from './dsp/eda'
import { heartRate, ppgClean, ppgFindPeaks } from './dsp/ppg'
import { windowQuality } from './dsp/quality'
import { temperatureSmooth } from './dsp/temp'
import type { StreamCache } from './stream-cache'

export interface OverlayRequest {
  sessionId: number
  streamId: number
  kinds: OverlayKind[]
  fromMs?: number
  toMs?: number
  points?: number
}

/** What a stream's overlays are computed from: one per stream and method, reused while the stream does not grow. */
type Derived =
  | { type: 'line'; values: Float64Array; note?: string; wire?: Float32Array }
  | { type: 'events'; indices: number[]; values: Float64Array; note?: string }
  | { type: 'spans'; spans: { start: number; end: number; value: number }[]; note?: string }

const DEFAULT_POINTS = 2000
/** A motion pause shorter than this joins the stretches either side of it, so a shaking wrist is one span. */
const MOTION_JOIN_S = 1

/** A derived value that failed: the message travels as the kind's note. */
class OverlayNote extends Error {}

/**
 * Overlays drawn over the Annotate panels. Each derived series is computed once per stream, method and
 * sample count (a growing recording recomputes) and kept, least recently used first out; a request for a
 * range only slices and reduces what is cached, so panning never recomputes.
 */
export class SignalOverlayService {
  private readonly derived = new Map<string, Derived | OverlayNote>()
  /** How many derived series were computed (tests read it to see the cache at work). */
  computations = 0

  constructor(
    private readonly study: StudyStore,
    private readonly cache: StreamCache,
    private readonly limitEntries = 64
  ) {}

  overlays(request: OverlayRequest): SignalOverlays {
    const session = this.study.getSession(request.sessionId)
    const stream = session.streams.find((s) => s.id === request.streamId)
    if (!stream) throw new NotFoundError(`stream ${request.streamId} is not in session ${request.sessionId}`)
    const data = this.cache.get(stream)
    const fromMs = request.fromMs ?? (data.times.length ? data.times[0] : 0)
    const toMs = request.toMs ?? (data.times.length ? data.times[data.times.length - 1] + 1 : fromMs + 1)
    const points = request.points ?? DEFAULT_POINTS
    const baseMs = fromMs
    const offered = OVERLAYS_BY_STREAM[stream.name] ?? []
    const results = [...new Set(request.kinds)].map((kind): OverlayResult => {
      if (!offered.includes(kind)) return { kind, note: `${kind} is not computed for ${stream.name} streams` }
      try {
        const derived = this.get(stream, data, kind)
        return this.slice(kind, derived, data.times, { fromMs, toMs, baseMs, points, rateHz: stream.rateHz })
      } catch (error) {
        return { kind, note: error instanceof Error ? error.message : String(error) }
      }
    })
    return { sessionId: session.id, streamId: stream.id, stream: stream.name, fromMs, toMs, baseMs, results }
  }

  private get(stream: StreamInfo, data: SignalData, kind: OverlayKind): Derived {
    const key = `${stream.id}:${data.times.length}:${kind}`
    let entry = this.derived.get(key)
    if (entry) {
      this.derived.delete(key)
    } else {
      // The stream grew (a recording appending): what was derived from fewer samples is of no more use.
      const prefix = `${stream.id}:`
      for (const old of [...this.derived.keys()])
        if (old.startsWith(prefix) && !old.startsWith(`${prefix}${data.times.length}:`)) this.derived.delete(old)
      try {
        this.computations++
        entry = this.compute(stream, data, kind)
      } catch (error) {
        entry = new OverlayNote(error instanceof Error ? error.message : String(error))
      }
    }
    this.derived.set(key, entry)
    for (const [old] of this.derived) {
      if (this.derived.size <= this.limitEntries) break
      this.derived.delete(old)
    }
    if (entry instanceof OverlayNote) throw entry
    return entry
  }

  private compute(stream: StreamInfo, data: SignalData, kind: OverlayKind): Derived {
    const rate = stream.rateHz
    if (!(rate > 0)) throw new OverlayNote(`${stream.name} is an event stream: no ${kind} overlay`)
    const channel = (c: number): Float64Array => {
      const n = data.times.length
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) out[i] = data.samples[i * data.channelCount + c]
      return out
    }
    if (data.times.length < 2) throw new OverlayNote(`${stream.name} has ${data.times.length} samples: too short`)
    switch (`${stream.name}.${kind}`) {
      case 'eda.cleaned': {
        const result = edaClean(channel(0), rate)
        return { type: 'line', values: result.cleaned, note: result.note }
      }
      case 'eda.tonic':
      case 'eda.phasic': {
        const cleaned = this.get(stream, data, 'cleaned') as Extract<Derived, { type: 'line' }>
        const split = edaPhasic(cleaned.values, rate, 'highpass')
        return { type: 'line', values: kind === 'tonic' ? split.tonic : split.phasic, note: cleaned.note }
      }
      case 'eda.scr': {
        const phasic = this.get(stream, data, 'phasic') as Extract<Derived, { type: 'line' }>
        const found = edaPeaks(phasic.values)
        const raw = channel(0)
        return { type: 'events', indices: found.peaks, values: Float64Array.from(found.peaks, (i) => raw[i]) }
      }
      case 'bvp.cleaned':
        if (rate <= 16) throw new OverlayNote(`BVP at ${rate} Hz: the 0.5-8 Hz band-pass needs more than 16 Hz`)
        return { type: 'line', values: ppgClean(channel(0), rate) }
      case 'bvp.beats': {
        const cleaned = this.get(stream, data, 'cleaned') as Extract<Derived, { type: 'line' }>
        const beats = ppgFindPeaks(cleaned.values, rate)
        const raw = channel(0)
        return { type: 'events', indices: beats, values: Float64Array.from(beats, (i) => raw[i]) }
      }
      case 'bvp.hr': {
        const beats = this.get(stream, data, 'beats') as Extract<Derived, { type: 'events' }>
        const rates = heartRate(beats.indices, rate).atBeats
        return { type: 'events', indices: beats.indices, values: rates }
      }
      case 'bvp.quality': {
        const beats = this.get(stream, data, 'beats') as Extract<Derived, { type: 'events' }>
        return qualitySpans(windowQuality(channel(0), rate, {}, beats.indices))
      }
      case 'eda.quality':
        return qualitySpans(windowQuality(channel(0), rate, { validMin: 0.01, validMax: 100 }))
      case 'acc.motion': {
        if (data.channelCount < 3) throw new OverlayNote(`acc has ${data.channelCount} axes; motion needs 3`)
        const flags = motionFlags(accMagnitude(channel(0), channel(1), channel(2)), rate)
        return { type: 'spans', spans: flagSpans(flags, Math.round(MOTION_JOIN_S * rate)) }
      }
      case 'temp.cleaned':
        return { type: 'line', values: temperatureSmooth(channel(0), rate) }
    }
    throw new OverlayNote(`${kind} is not computed for ${stream.name} streams`)
  }

  private slice(
    kind: OverlayKind,
    derived: Derived,
    times: Float64Array,
    range: { fromMs: number; toMs: number; baseMs: number; points: number; rateHz: number }
  ): OverlayResult {
    const first = lowerBound(times, range.fromMs)
    const end = lowerBound(times, range.toMs)
    const note = derived.note
    const result: OverlayResult = note ? { kind, note } : { kind }
    if (derived.type === 'line') {
      derived.wire ??= Float32Array.from(derived.values)
      const reduced = reduceMinMax(times, derived.wire, {
        channelCount: 1,
        channel: 0,
        first,
        end,
        fromMs: range.fromMs,
        toMs: range.toMs,
        columns: Math.max(1, Math.floor(range.points / 2)),
        gapMs: (3 * 1000) / range.rateHz
      })
      const offsets = Float32Array.from(reduced.times, (t) => t - range.baseMs)
      result.line = {
        times: float32ToBase64(offsets),
        values: float32ToBase64(reduced.values),
        count: offsets.length
      }
    } else if (derived.type === 'events') {
      const inside: number[] = []
      derived.indices.forEach((index, i) => {
        if (index >= first && index < end) inside.push(i)
      })
      const stride = Math.max(1, Math.ceil(inside.length / range.points))
      const kept = inside.filter((_, i) => i % stride === 0)
      result.marks = {
        times: float32ToBase64(Float32Array.from(kept, (i) => times[derived.indices[i]] - range.baseMs)),
        values: float32ToBase64(Float32Array.from(kept, (i) => derived.values[i])),
        count: kept.length,
        total: inside.length
      }
      if (stride > 1) result.note = `${inside.length} events in range: every ${stride}th shown, zoom in for all`
    } else {
      const spans: OverlaySpan[] = []
      for (const span of derived.spans) {
        if (span.end <= first || span.start >= end) continue
        const last = Math.min(times.length - 1, span.end)
        spans.push({
          startMs: times[span.start] - range.baseMs,
          endMs: times[last] - range.baseMs,
          value: span.value
        })
      }
      result.spans = spans.length > range.points ? spans.slice(0, range.points) : spans
      if (spans.length > range.points) result.note = `${spans.length} spans in range: first ${range.points} shown`
    }
    return result
  }
}

function qualitySpans(windows: ReturnType<typeof windowQuality>): Derived {
  return { type: 'spans', spans: windows.map((w) => ({ start: w.start, end: w.end, value: w.index })) }
}

/** Runs of set flags as [start, end) sample spans, joining runs less than `join` samples apart. */
export function flagSpans(flags: Uint8Array, join: number): { start: number; end: number; value: number }[] {
  const spans: { start: number; end: number; value: number }[] = []
  let i = 0
  while (i < flags.length) {
    if (!flags[i]) {
      i++
      continue
    }
    let end = i
    while (end < flags.length && flags[end]) end++
    const previous = spans.at(-1)
    if (previous && i - previous.end < join) previous.end = end
    else spans.push({ start: i, end, value: 1 })
    i = end
  }
  return spans
}
