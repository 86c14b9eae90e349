import { ValidationError } from '../../errors'
import { requireFinite, requireNonEmpty, requireRate } from './validate'

/**
 * Linear resampling from `fromRate` to `toRate`: output sample j sits at time j / toRate and is
 * the straight-line interpolation between its two neighbouring input samples; times past the
 * last input sample are not produced (no extrapolation). Linear rather than polyphase/sinc
 * because the wrist signals we resample (EDA, TEMP, HR) are slow against their rates, and linear
 * interpolation neither rings nor overshoots at artefacts. It does not low-pass before
 * decimating: filter first (butter + sosfiltfilt) when going below twice the content's band.
 */
export function resampleLinear(signal: ArrayLike<number>, fromRate: number, toRate: number): Float64Array {
  requireNonEmpty(signal)
  requireFinite(signal)
  requireRate(fromRate, 'fromRate')
  requireRate(toRate, 'toRate')
  const duration = (signal.length - 1) / fromRate
  const count = Math.floor(duration * toRate + 1e-9) + 1
  if (!Number.isSafeInteger(count)) throw new ValidationError(`cannot produce ${count} samples`, 'toRate')
  const output = new Float64Array(count)
  for (let j = 0; j < count; j++) {
    const position = (j * fromRate) / toRate
    const left = Math.min(Math.floor(position), signal.length - 1)
    const right = Math.min(left + 1, signal.length - 1)
    const fraction = position - left
    output[j] = signal[left] + (signal[right] - signal[left]) * fraction
  }
  return output
}
