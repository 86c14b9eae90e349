import { z } from 'zod'
import { defineCall } from './define'
import { id } from './studies'

/**
 * One channel of a stream reduced for drawing. Arrays travel as base64 of little-endian float32 so that a
 * view of a two-hour session is a few hundred kilobytes on any transport: `times` are ms after the view's
 * `baseMs`, `values` hold NaN where the line must break (a gap in the recording).
 */
export interface ChannelView {
  name: string
  times: string
  values: string
  count: number
  /** Smallest and largest value inside the view (null when it holds no sample). */
  min: number | null
  max: number | null
}

export interface StreamView {
  streamId: number
  name: string
  unit: string
  rateHz: number
  /** 'events' for irregular streams (IBI): drawn as points, not a line. */
  kind: 'continuous' | 'events'
  /** True when min/max per column replaced the raw samples. */
  reduced: boolean
  /** Raw samples inside the view, before reduction. */
  sampleCount: number
  channels: ChannelView[]
}

export interface SignalView {
  sessionId: number
  fromMs: number
  toMs: number
  baseMs: number
  columns: number
  streams: StreamView[]
}

export const signalCalls = {
  /** Level-of-detail view of a session: min and max of each channel per pixel column between fromMs and toMs. */
  'signals.view': defineCall<SignalView>()(
    z
      .object({
        sessionId: id,
        fromMs: z.number().finite(),
        toMs: z.number().finite(),
        columns: z.number().int().min(1).max(10_000),
        streams: z.array(z.string().min(1)).optional()
      })
      .refine((value) => value.toMs > value.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] })
  )
}
