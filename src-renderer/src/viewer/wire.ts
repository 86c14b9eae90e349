import type { SignalView, StreamView } from '../../../src-main/ipc/contract/signals'

/**
 * One channel ready to draw: flat [x0, y0, x1, y1, ...] with x in ms after the session origin and NaN values
 * where the line breaks. A typed array is what ECharts copies and reads fastest (no per-point objects).
 */
export interface ChannelPoints {
  name: string
  points: Float64Array
  min: number | null
  max: number | null
}

/** A stream as the contract describes it, with its channels decoded. */
export interface DecodedStream extends Omit<StreamView, 'streamId' | 'channels'> {
  channels: ChannelPoints[]
}

export interface DecodedView {
  fromMs: number
  toMs: number
  columns: number
  streams: DecodedStream[]
}

export function base64ToFloat32(text: string): Float32Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return new Float32Array(bytes.buffer)
}

/** Turns the wire format of signals.view into chart points; times become ms after `originMs` (small numbers, exact in float64). */
export function decodeView(view: SignalView, originMs: number): DecodedView {
  const shift = view.baseMs - originMs
  return {
    fromMs: view.fromMs,
    toMs: view.toMs,
    columns: view.columns,
    streams: view.streams.map((stream) => ({
      name: stream.name,
      unit: stream.unit,
      rateHz: stream.rateHz,
      kind: stream.kind,
      reduced: stream.reduced,
      sampleCount: stream.sampleCount,
      channels: stream.channels.map((channel) => {
        const times = base64ToFloat32(channel.times)
        const values = base64ToFloat32(channel.values)
        const points = new Float64Array(times.length * 2)
        for (let i = 0; i < times.length; i++) {
          points[2 * i] = shift + times[i]
          points[2 * i + 1] = values[i]
        }
        return { name: channel.name, points, min: channel.min, max: channel.max }
      })
    }))
  }
}

/** Index of the first point whose x is >= value (or > value when `after`), by binary search over the flat pairs. */
function pointIndex(points: Float64Array, value: number, after = false): number {
  let low = 0
  let high = points.length / 2
  while (low < high) {
    const middle = (low + high) >>> 1
    const x = points[2 * middle]
    if (x < value || (after && x === value)) low = middle + 1
    else high = middle
  }
  return low
}

/** The value of a channel nearest to a time (for the cursor read-out), or null when there is none. */
export function valueAt(points: Float64Array, time: number): number | null {
  const count = points.length / 2
  if (count === 0) return null
  const index = Math.min(pointIndex(points, time), count - 1)
  const before = Math.max(0, index - 1)
  const nearest = Math.abs(points[2 * before] - time) < Math.abs(points[2 * index] - time) ? before : index
  const value = points[2 * nearest + 1]
  return Number.isNaN(value) ? null : value
}

/** The points drawn for a window: those inside it plus one on each side, so lines run to the plot's edges (a view, not a copy). */
export function visiblePoints(points: Float64Array, fromMs: number, toMs: number): Float64Array {
  const count = points.length / 2
  const first = Math.max(0, pointIndex(points, fromMs) - 1)
  const end = Math.min(count, pointIndex(points, toMs, true) + 1)
  return points.subarray(2 * first, 2 * Math.max(first, end))
}
