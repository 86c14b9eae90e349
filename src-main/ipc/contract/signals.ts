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

/** What can be drawn over a panel, computed in main by src-main/signal/dsp. */
export const OVERLAY_KINDS = ['cleaned', 'tonic', 'phasic', 'scr', 'beats', 'hr', 'motion', 'quality'] as const
export type OverlayKind = (typeof OVERLAY_KINDS)[number]

/** Which overlays each kind of stream offers (streams are known by their E4 names). */
export const OVERLAYS_BY_STREAM: Record<string, readonly OverlayKind[]> = {
  eda: ['cleaned', 'tonic', 'phasic', 'scr', 'quality'],
  bvp: ['cleaned', 'beats', 'hr', 'quality'],
  acc: ['motion'],
  temp: ['cleaned']
}

/** A derived line reduced for the view's range like signals.view (base64 float32, times in ms after baseMs). */
export interface OverlayLine {
  times: string
  values: string
  count: number
}

/** Events (SCR peaks, beats) as time lists with the value at each, in ms after baseMs. */
export interface OverlayMarks {
  times: string
  values: string
  count: number
  /** Events inside the range before thinning to `points`. */
  total: number
}

/** A shaded stretch of time, in ms after baseMs; `value` is the quality index (0-1) or 1 for motion. */
export interface OverlaySpan {
  startMs: number
  endMs: number
  value: number
}

export interface OverlayResult {
  kind: OverlayKind
  /** Why the overlay is missing or differs from what was asked (a slow rate, too few samples): the panel shows it. */
  note?: string
  line?: OverlayLine
  marks?: OverlayMarks
  spans?: OverlaySpan[]
}

export interface SignalOverlays {
  sessionId: number
  streamId: number
  stream: string
  fromMs: number
  toMs: number
  baseMs: number
  results: OverlayResult[]
}

export const signalOverlayCalls = {
  /** Derived overlays of one stream (cleaned signal, EDA tonic/phasic/SCR peaks, beats and heart rate, motion, quality). */
  'signals.overlays': defineCall<SignalOverlays>()(
    z
      .object({
        sessionId: id,
        streamId: id,
        kinds: z.array(z.enum(OVERLAY_KINDS)).min(1).max(OVERLAY_KINDS.length),
        fromMs: z.number().finite().optional(),
        toMs: z.number().finite().optional(),
        points: z.number().int().min(10).max(20_000).optional()
      })
      .refine((value) => value.fromMs === undefined || value.toMs === undefined || value.toMs > value.fromMs, {
        message: 'toMs must be after fromMs',
        path: ['toMs']
      })
  )
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
  ),
  ...signalOverlayCalls
}
