import { ValidationError } from '../../errors'
import { runningMedian } from './eda'
import { requireFinite, requireRate } from './validate'

/** Euclidean norm of three equally long axes, in the axes' units (E4: 1/64 g). */
export function accMagnitude(x: ArrayLike<number>, y: ArrayLike<number>, z: ArrayLike<number>): Float64Array {
  if (x.length !== y.length || y.length !== z.length)
    throw new ValidationError(`axes differ in length: ${x.length}, ${y.length}, ${z.length}`, 'acc')
  requireFinite(x, 'x')
  requireFinite(y, 'y')
  requireFinite(z, 'z')
  const m = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) m[i] = Math.hypot(x[i], y[i], z[i])
  return m
}

export interface MotionOptions {
  /** Width of the running median taken as the resting level, s. */
  windowSeconds?: number
  /**
   * Deviation that counts as motion, in the magnitude's units. Default: 0.1 × the median
   * magnitude of the whole record, i.e. about 0.1 g when the wrist mostly rests (gravity ≈ 1 g).
   */
  threshold?: number
}

/**
 * Motion flags: a sample moves when its magnitude departs from the running median of the
 * surrounding `windowSeconds` by more than `threshold`. The magnitude rather than the axes, so
 * that turning the wrist slowly (gravity moves between axes, norm unchanged) is not motion; the
 * running median rather than a fixed 1 g, so a miscalibrated sensor's offset is not motion either.
 */
export function motionFlags(
  magnitude: ArrayLike<number>,
  samplingRate: number,
  options: MotionOptions = {}
): Uint8Array {
  requireFinite(magnitude, 'magnitude')
  requireRate(samplingRate)
  const half = Math.max(1, Math.round(((options.windowSeconds ?? 2) * samplingRate) / 2))
  const level = runningMedian(magnitude, half)
  let threshold = options.threshold
  if (threshold === undefined) {
    const sorted = Float64Array.from(magnitude).sort()
    threshold = sorted.length > 0 ? 0.1 * sorted[Math.floor(sorted.length / 2)] : 0
  }
  if (!(threshold >= 0)) throw new ValidationError(`threshold must be >= 0, got ${threshold}`, 'threshold')
  const flags = new Uint8Array(magnitude.length)
  for (let i = 0; i < magnitude.length; i++) flags[i] = Math.abs(magnitude[i] - level[i]) > threshold ? 1 : 0
  return flags
}
