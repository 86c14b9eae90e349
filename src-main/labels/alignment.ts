/**
 * Report time and signal time. Annotations are stored as reported (epoch ms of the reporting clock);
 * the session's alignment offset moves them onto the signal clock: signal = report + offset. Corrections
 * are keyed by report time so they stay with their report when the offset is changed later.
 */

export const REPORT_INTERVAL_MS = 5000

export interface Span {
  startMs: number
  endMs: number
}

export function reportToSignal(reportMs: number, offsetMs: number): number {
  return reportMs + offsetMs
}

export function signalToReport(signalMs: number, offsetMs: number): number {
  return signalMs - offsetMs
}

/** The signal-time window labelled by the report ending at `reportEndMs`: the `windowMs` before that end. */
export function windowOf(reportEndMs: number, offsetMs: number, windowMs = REPORT_INTERVAL_MS): Span {
  const endMs = reportToSignal(reportEndMs, offsetMs)
  return { startMs: endMs - windowMs, endMs }
}

/** Fraction of `window` that lies inside `recording`; null when the recording's extent is unknown. */
export function coverageOf(window: Span, recording: Span | null): number | null {
  if (!recording) return null
  const length = window.endMs - window.startMs
  if (length <= 0) return window.startMs >= recording.startMs && window.startMs <= recording.endMs ? 1 : 0
  const inside = Math.min(window.endMs, recording.endMs) - Math.max(window.startMs, recording.startMs)
  return Math.max(0, inside) / length
}

/**
 * Which windows to keep at the recording's edges: every one, those that overlap the recording
 * (the default: a window half outside still has half its signal), or only those wholly inside.
 */
export type EdgeRule = 'keep' | 'overlap' | 'inside'

export function keepsWindow(coverage: number | null, rule: EdgeRule): boolean {
  if (coverage === null || rule === 'keep') return true
  return rule === 'overlap' ? coverage > 0 : coverage >= 1
}

interface RecordingFacts {
  startMs: number
  durationMs: number | null
  streams: { startMs: number | null; endMs: number | null }[]
}

/** The recording's extent in signal time: the streams' union where they have samples, else start + duration. */
export function recordingSpan(session: RecordingFacts): Span | null {
  const starts = session.streams.flatMap((s) => (s.startMs === null ? [] : [s.startMs]))
  const ends = session.streams.flatMap((s) => (s.endMs === null ? [] : [s.endMs]))
  if (starts.length && ends.length) return { startMs: Math.min(...starts), endMs: Math.max(...ends) }
  if (session.durationMs !== null)
    return { startMs: session.startMs, endMs: session.startMs + session.durationMs }
  return null
}
