import { NotFoundError } from '../errors'
import { OVERLAYS_BY_STREAM } from '../ipc/contract/signals'
import type { OverlayKind, OverlayResult, OverlaySpan, SignalOverlays, StreamInfo } from '../ipc/contract'
import type { StudyStore } from '../store/study-store'
import type { SignalData } from '../store/signal-store'
import { float32ToBase64 } from './base64'
import { lowerBound, reduceMinMax } from './downsample'
import type { Derived } from './overlay-compute'
import type { OverlayComputer } from './overlay-computer'
import type { StreamCache } from './stream-cache'

export { flagSpans } from './overlay-compute'

export interface OverlayRequest {
  sessionId: number
  streamId: number
  kinds: OverlayKind[]
  fromMs?: number
  toMs?: number
  points?: number
}

type Drawable = Exclude<Derived, { type: 'note' }>
/** A derived series as cached: with its float32 copy for the wire, made on first use. */
type Cached = Derived & { wire?: Float32Array }

const DEFAULT_POINTS = 2000

/**
 * Overlays drawn over the Annotate panels. Each derived series is computed once per stream, method and
 * sample count (a growing recording recomputes), by the computer it is given (in the app, a worker thread: the
 * filters of a long session take seconds the main process must not block for), and kept, least recently used
 * first out; a request for a range only slices and reduces what is cached, so panning never recomputes.
 */
export class SignalOverlayService {
  private readonly derived = new Map<string, Cached>()
  /** Computations in flight per stream and sample count, so that two requests do not compute the same kinds. */
  private readonly inFlight = new Map<string, Promise<void>>()
  /** How many derived series were computed (tests read it to see the cache at work). */
  computations = 0

  constructor(
    private readonly study: StudyStore,
    private readonly cache: StreamCache,
    private readonly computer: OverlayComputer,
    private readonly limitEntries = 64
  ) {}

  async overlays(request: OverlayRequest): Promise<SignalOverlays> {
    const session = this.study.getSession(request.sessionId)
    const stream = session.streams.find((s) => s.id === request.streamId)
    if (!stream) throw new NotFoundError(`stream ${request.streamId} is not in session ${request.sessionId}`)
    const data = this.cache.get(stream)
    const fromMs = request.fromMs ?? (data.times.length ? data.times[0] : 0)
    const toMs = request.toMs ?? (data.times.length ? data.times[data.times.length - 1] + 1 : fromMs + 1)
    const points = request.points ?? DEFAULT_POINTS
    const baseMs = fromMs
    const offered = OVERLAYS_BY_STREAM[stream.name] ?? []
    const kinds = [...new Set(request.kinds)]
    const derived = await this.derive(
      stream,
      data,
      kinds.filter((kind) => offered.includes(kind))
    )
    const results = kinds.map((kind): OverlayResult => {
      const entry = derived.get(kind)
      if (!entry) return { kind, note: `${kind} is not computed for ${stream.name} streams` }
      if (entry.type === 'note') return { kind, note: entry.note }
      return this.slice(kind, entry, data.times, { fromMs, toMs, baseMs, points, rateHz: stream.rateHz })
    })
    return { sessionId: session.id, streamId: stream.id, stream: stream.name, fromMs, toMs, baseMs, results }
  }

  /** The cached series of these kinds, computing the missing ones (once, however many requests ask). */
  private async derive(
    stream: StreamInfo,
    data: SignalData,
    kinds: OverlayKind[]
  ): Promise<Map<OverlayKind, Cached>> {
    const prefix = `${stream.id}:${data.times.length}:`
    const missing = () => kinds.filter((kind) => !this.derived.has(prefix + kind))
    let todo = missing()
    if (todo.length > 0) {
      // The stream grew (a recording appending): what was derived from fewer samples is of no more use.
      for (const old of [...this.derived.keys()])
        if (old.startsWith(`${stream.id}:`) && !old.startsWith(prefix)) this.derived.delete(old)
    }
    while (todo.length > 0) {
      const running = this.inFlight.get(prefix)
      if (running) {
        // Another request is computing this stream: wait for it, then see what is still missing.
        await running.catch(() => undefined)
        todo = missing()
        continue
      }
      const done = this.computer
        .compute(
          {
            name: stream.name,
            rateHz: stream.rateHz,
            channelCount: data.channelCount,
            samples: data.samples
          },
          todo
        )
        .then((results) => {
          for (const [kind, entry] of Object.entries(results)) {
            this.derived.set(prefix + kind, entry)
            this.computations++
          }
        })
        .finally(() => this.inFlight.delete(prefix))
      this.inFlight.set(prefix, done)
      await done
      break
    }
    const found = new Map<OverlayKind, Cached>()
    for (const kind of kinds) {
      const key = prefix + kind
      const entry = this.derived.get(key)
      if (!entry) continue
      this.derived.delete(key)
      this.derived.set(key, entry)
      found.set(kind, entry)
    }
    for (const [old] of this.derived) {
      if (this.derived.size <= this.limitEntries) break
      this.derived.delete(old)
    }
    return found
  }

  private slice(
    kind: OverlayKind,
    derived: Drawable & { wire?: Float32Array },
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
      if (stride > 1)
        result.note = `${inside.length} events in range: every ${stride}th shown, zoom in for all`
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
      if (spans.length > range.points)
        result.note = `${spans.length} spans in range: first ${range.points} shown`
    }
    return result
  }
}
