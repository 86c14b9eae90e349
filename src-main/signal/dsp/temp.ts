import { ValidationError } from '../../errors'
import { boxcarSmooth } from './peaks'
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
  requireFinite(signal)
  requireRate(samplingRate)
  const n = signal.length
  if (n < 2) throw new ValidationError(`a slope needs at least 2 samples, got ${n}`, 'signal')
  // Centre time and value first: with t in the 1e4 s range the raw normal equations cancel badly.
  const meanT = (n - 1) / 2
  let meanY = 0
  for (let i = 0; i < n; i++) meanY += signal[i] / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (i - meanT) * (signal[i] - meanY)
    sxx += (i - meanT) ** 2
  }
  return (sxy / sxx) * samplingRate * 60
}
