import { ValidationError } from '../../errors'
import { requireRate } from './validate'

/**
 * Least-squares slope per minute of an evenly sampled signal (sample i at i / rate s), in the signal's
 * units per minute. `from`/`to` pick a range without copying it.
 */
export function slopePerMinute(
  signal: ArrayLike<number>,
  samplingRate: number,
  from = 0,
  to = signal.length
): number {
  requireRate(samplingRate)
  const n = to - from
  if (n < 2) throw new ValidationError(`a slope needs at least 2 samples, got ${n}`, 'signal')
  // Centre time and value first: with t in the 1e4 s range the raw normal equations cancel badly.
  const meanT = (n - 1) / 2
  let meanY = 0
  for (let i = from; i < to; i++) {
    const v = signal[i]
    if (!Number.isFinite(v))
      throw new ValidationError(`signal[${i}] is ${v}; a slope needs finite samples`, 'signal')
    meanY += v / n
  }
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (i - meanT) * (signal[from + i] - meanY)
    sxx += (i - meanT) ** 2
  }
  return (sxy / sxx) * samplingRate * 60
}
