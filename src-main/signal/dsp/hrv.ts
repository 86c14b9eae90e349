import { ValidationError } from '../../errors'
import { requireFinite } from './validate'
import { bandPower, welch } from './welch'

function requireIntervals(nn: ArrayLike<number>, minimum: number): void {
  requireFinite(nn, 'intervals')
  if (nn.length < minimum)
    throw new ValidationError(`HRV needs at least ${minimum} NN intervals, got ${nn.length}`, 'intervals')
  for (let i = 0; i < nn.length; i++)
    if (!(nn[i] > 0))
      throw new ValidationError(`intervals[${i}] is ${nn[i]} ms; intervals must be positive`, 'intervals')
}

export interface HrvTime {
  meanNN: number
  /** Sample standard deviation (ddof = 1), as NeuroKit2. */
  sdnn: number
  rmssd: number
  /** Percentage of successive differences above 50 ms. */
  pnn50: number
}

/** Time-domain HRV from NN intervals in milliseconds. */
export function hrvTime(nn: ArrayLike<number>): HrvTime {
  requireIntervals(nn, 3)
  const n = nn.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += nn[i]
  mean /= n
  let squares = 0
  for (let i = 0; i < n; i++) squares += (nn[i] - mean) ** 2
  let successive = 0
  let over50 = 0
  for (let i = 1; i < n; i++) {
    const d = nn[i] - nn[i - 1]
    successive += d * d
    if (Math.abs(d) > 50) over50++
  }
  return {
    meanNN: mean,
    sdnn: Math.sqrt(squares / (n - 1)),
    rmssd: Math.sqrt(successive / (n - 1)),
    pnn50: (100 * over50) / (n - 1)
  }
}

/**
 * NN intervals as an evenly sampled series: interval i is placed at the time its beat ends
 * (cumulative sum of the intervals, in s) and the series is linearly interpolated on a grid that
 * starts at the first of those times, every 1/rate s, up to the last. 4 Hz rather than NeuroKit2's
 * 100 Hz: it resolves the HF band's 0.4 Hz edge with ample margin, and a 256-sample Welch segment
 * then spans 64 s, enough for 2.5 cycles of the 0.04 Hz LF edge. Linear rather than cubic so the
 * series never overshoots around an ectopic-looking interval.
 */
export function interpolateIntervals(nn: ArrayLike<number>, rate = 4): Float64Array {
  requireIntervals(nn, 2)
  const times = new Float64Array(nn.length)
  let t = 0
  for (let i = 0; i < nn.length; i++) {
    t += nn[i] / 1000
    times[i] = t
  }
  const count = Math.floor((times[nn.length - 1] - times[0]) * rate) + 1
  const series = new Float64Array(count)
  let j = 0
  for (let s = 0; s < count; s++) {
    const at = times[0] + s / rate
    while (j + 2 < times.length && times[j + 1] < at) j++
    const f = Math.min(1, Math.max(0, (at - times[j]) / (times[j + 1] - times[j])))
    series[s] = nn[j] + (nn[j + 1] - nn[j]) * f
  }
  return series
}

export interface HrvFrequency {
  /** ms², 0.04-0.15 Hz. */
  lf: number
  /** ms², 0.15-0.4 Hz. */
  hf: number
  lfHf: number
  frequencies: Float64Array
  density: Float64Array
}

/**
 * Frequency-domain HRV: the 4 Hz interpolated NN series, Welch PSD (256-sample Hann segments,
 * 50% overlap, so at least 64 s of beats), LF and HF power by the trapezoid rule.
 */
export function hrvFrequency(nn: ArrayLike<number>, rate = 4, segmentLength = 256): HrvFrequency {
  const series = interpolateIntervals(nn, rate)
  const { frequencies, density } = welch(series, rate, segmentLength)
  const lf = bandPower(frequencies, density, 0.04, 0.15)
  const hf = bandPower(frequencies, density, 0.15, 0.4)
  return { lf, hf, lfHf: lf / hf, frequencies, density }
}
