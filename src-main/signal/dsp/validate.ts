import { ValidationError } from '../../errors'

/**
 * Shared argument checks. Filters propagate a single NaN into every later sample (IIR state), so
 * non-finite input is refused up front rather than discovered as an all-NaN output.
 */
export function requireFinite(signal: ArrayLike<number>, field = 'signal'): void {
  for (let i = 0; i < signal.length; i++) {
    if (!Number.isFinite(signal[i]))
      throw new ValidationError(`${field}[${i}] is ${signal[i]}; filters need finite samples`, field)
  }
}

export function requireNonEmpty(signal: ArrayLike<number>, field = 'signal'): void {
  if (signal.length === 0) throw new ValidationError(`${field} is empty`, field)
}

export function requireRate(samplingRate: number, field = 'samplingRate'): void {
  if (!Number.isFinite(samplingRate) || samplingRate <= 0)
    throw new ValidationError(`${field} must be a positive number of Hz, got ${samplingRate}`, field)
}
