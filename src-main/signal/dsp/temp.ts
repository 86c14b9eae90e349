import { ValidationError } from '../../errors'
import { boxcarSmooth } from './peaks'
import { slopePerMinute } from './slope'
import { requireFinite, requireNonEmpty, requireRate } from './validate'

/**
 * Skin temperature smoothing: a centred moving average over `windowSeconds` (edges repeat the end
 * values). NeuroKit2 has no temperature module to mirror; the E4's 4 Hz TEMP is quantised to
 * 0.02 °C, so a few seconds of averaging removes the staircase without hiding minute-scale trends.
 */
export function temperatureSmooth(
  signal: ArrayLike<number>,
  samplingRate: number,
  windowSeconds = 5
): Float64Array {
  requireNonEmpty(signal)
  requireFinite(signal)
  requireRate(samplingRate)
  if (!(windowSeconds > 0))
    throw new ValidationError(`windowSeconds must be positive, got ${windowSeconds}`, 'windowSeconds')
  return boxcarSmooth(signal, Math.max(1, Math.round(windowSeconds * samplingRate)))
}

/** Least-squares slope in °C per minute over the whole signal (sample i at i / rate s). */
export function temperatureSlope(signal: ArrayLike<number>, samplingRate: number): number {
  return slopePerMinute(signal, samplingRate)
}
