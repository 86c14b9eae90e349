import type { SignalView, StreamView } from '../ipc/contract'
import type { StudyStore } from '../store/study-store'
import { float32ToBase64 } from './base64'
import { lowerBound, reduceMinMax } from './downsample'
import type { StreamCache } from './stream-cache'

export interface ViewRequest {
  sessionId: number
  fromMs: number
  toMs: number
  columns: number
  streams?: string[]
}

/** Missing more than this many sample periods in a row breaks a line: shorter jitter is normal for wristbands. */
const GAP_PERIODS = 3

/** Builds level-of-detail views of a session's streams for the viewer (every stream on one shared time range). */
export class SignalViewService {
  constructor(
    private readonly study: StudyStore,
    private readonly cache: StreamCache
  ) {}

  view(request: ViewRequest): SignalView {
    const session = this.study.getSession(request.sessionId)
    const wanted = request.streams ? new Set(request.streams) : null
    const baseMs = request.fromMs
    const streams: StreamView[] = []
    for (const stream of session.streams) {
      if (wanted && !wanted.has(stream.name)) continue
      const data = this.cache.get(stream)
      const first = lowerBound(data.times, request.fromMs)
      const end = lowerBound(data.times, request.toMs)
      const events = stream.rateHz <= 0
      const gapMs = events ? Infinity : (GAP_PERIODS * 1000) / stream.rateHz
      let reduced = false
      const channels = stream.channels.map((name, channel) => {
        const points = reduceMinMax(data.times, data.samples, {
          channelCount: data.channelCount,
          channel,
          first,
          end,
          fromMs: request.fromMs,
          toMs: request.toMs,
          columns: request.columns,
          gapMs
        })
        reduced ||= points.reduced
        const offsets = new Float32Array(points.times.length)
        let min = Infinity
        let max = -Infinity
        for (let i = 0; i < offsets.length; i++) {
          offsets[i] = points.times[i] - baseMs
          const value = points.values[i]
          if (value < min) min = value
          if (value > max) max = value
        }
        return {
          name,
          times: float32ToBase64(offsets),
          values: float32ToBase64(points.values),
          count: offsets.length,
          min: Number.isFinite(min) ? min : null,
          max: Number.isFinite(max) ? max : null
        }
      })
      streams.push({
        streamId: stream.id,
        name: stream.name,
        unit: stream.unit,
        rateHz: stream.rateHz,
        kind: events ? 'events' : 'continuous',
        reduced,
        sampleCount: end - first,
        channels
      })
    }
    return {
      sessionId: session.id,
      fromMs: request.fromMs,
      toMs: request.toMs,
      baseMs,
      columns: request.columns,
      streams
    }
  }
}
