import { ValidationError } from '../../errors'
import { requireRate } from './validate'

export interface QualityOptions {
  windowSeconds?: number
  /** Physically possible range; samples outside it (or NaN/Inf) are invalid. */
  validMin?: number
  validMax?: number
  /** Sensor limits; samples at or beyond them are clipped. Default: none. */
  clipLow?: number
  clipHigh?: number
  /** A run of identical samples this long, s, marks the window flat (a detached or saturated sensor). */
  flatSeconds?: number
}

export interface WindowQuality {
  start: number
  end: number
  validFraction: number
  clippedFraction: number
  flat: boolean
  /** PPG only: 1 - coefficient of variation of the beat intervals / 0.3, clamped to 0-1. */
  beatRegularity?: number
  /** validFraction × (1 - clippedFraction) × (flat ? 0 : 1) × beatRegularity (when given). */
  index: number
}

/**
 * A simple signal-quality index per consecutive window (the last may be shorter). Deliberately
 * multiplicative: any one failure (mostly invalid, clipped, flat, irregular beats) drives the
 * window towards 0, which is what a reviewer wants to see flagged. The 0.3 CV at which beat
 * regularity reaches 0 is our choice: resting sinus rhythm stays under 0.1, missed or doubled
 * beats push it well past 0.3. Pass `peaks` (sample indices, ascending) to score PPG.
 */
export function windowQuality(
  signal: ArrayLike<number>,
  samplingRate: number,
  options: QualityOptions = {},
  peaks?: readonly number[]
): WindowQuality[] {
  requireRate(samplingRate)
  const {
    windowSeconds = 10,
    validMin = -Infinity,
    validMax = Infinity,
    clipLow = -Infinity,
    clipHigh = Infinity,
    flatSeconds = 1
  } = options
  if (!(windowSeconds > 0))
    throw new ValidationError(`windowSeconds must be positive, got ${windowSeconds}`, 'windowSeconds')
  const size = Math.max(1, Math.round(windowSeconds * samplingRate))
  const flatRun = Math.max(2, Math.round(flatSeconds * samplingRate))
  const windows: WindowQuality[] = []
  let beat = 0
  for (let start = 0; start < signal.length; start += size) {
    const end = Math.min(signal.length, start + size)
    let valid = 0
    let clipped = 0
    let run = 1
    let flat = false
    for (let i = start; i < end; i++) {
      const v = signal[i]
      if (Number.isFinite(v) && v >= validMin && v <= validMax) valid++
      if (v <= clipLow || v >= clipHigh) clipped++
      if (i > start && v === signal[i - 1]) {
        run++
        if (run >= flatRun) flat = true
      } else run = 1
    }
    const count = end - start
    const window: WindowQuality = {
      start,
      end,
      validFraction: valid / count,
      clippedFraction: clipped / count,
      flat,
      index: 0
    }
    let regularity = 1
    if (peaks) {
      // Windows advance and beats are ascending (as ppgFindPeaks gives them): one cursor walks both, so the
      // cost grows with windows + beats, not windows x beats.
      while (beat < peaks.length && peaks[beat] < start) beat++
      let past = beat
      while (past < peaks.length && peaks[past] < end) past++
      const inside = peaks.slice(beat, past)
      const intervals = inside.slice(1).map((p, i) => p - inside[i])
      if (intervals.length < 2) regularity = 0
      else {
        const mean = intervals.reduce((a, b) => a + b, 0) / intervals.length
        const sd = Math.sqrt(intervals.reduce((a, b) => a + (b - mean) ** 2, 0) / (intervals.length - 1))
        regularity = Math.min(1, Math.max(0, 1 - sd / mean / 0.3))
      }
      window.beatRegularity = regularity
    }
    window.index = window.validFraction * (1 - window.clippedFraction) * (flat ? 0 : 1) * regularity
    windows.push(window)
  }
  return windows
}
