/** The visible time range of the viewer, in epoch ms, inside the session's extent. */
export interface TimeWindow {
  fromMs: number
  toMs: number
}

/** The shortest span one can zoom into: a few BVP beats' worth of samples still fill the width. */
export const MIN_SPAN_MS = 2000

/** Keeps a window inside [startMs, endMs] without changing its span (unless the span is longer than that). */
export function clampWindow(window: TimeWindow, startMs: number, endMs: number): TimeWindow {
  const total = Math.max(endMs - startMs, MIN_SPAN_MS)
  const span = Math.min(Math.max(window.toMs - window.fromMs, MIN_SPAN_MS), total)
  const fromMs = Math.min(Math.max(window.fromMs, startMs), startMs + total - span)
  return { fromMs, toMs: fromMs + span }
}

/** Zooms by `factor` (< 1 zooms in) keeping the instant under `anchorMs` where it is on screen. */
export function zoomWindow(window: TimeWindow, factor: number, anchorMs: number): TimeWindow {
  const span = window.toMs - window.fromMs
  const next = Math.max(span * factor, MIN_SPAN_MS)
  const share = (anchorMs - window.fromMs) / span
  const fromMs = anchorMs - share * next
  return { fromMs, toMs: fromMs + next }
}

export function panWindow(window: TimeWindow, deltaMs: number): TimeWindow {
  return { fromMs: window.fromMs + deltaMs, toMs: window.toMs + deltaMs }
}

/** Linear map between the plot's pixels and time, shared by every panel (they all use the same left and right margins). */
export function timeToX(timeMs: number, window: TimeWindow, width: number): number {
  return ((timeMs - window.fromMs) / (window.toMs - window.fromMs)) * width
}

export function xToTime(x: number, window: TimeWindow, width: number): number {
  return window.fromMs + (x / width) * (window.toMs - window.fromMs)
}
