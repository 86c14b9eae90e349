import { ValidationError } from '../../errors'
import { butter } from './butter'
import { localMaxima, localMinima, prominences } from './peaks'
import { sosfiltfilt } from './sosfilt'
import { requireFinite, requireNonEmpty, requireRate } from './validate'

export interface EdaCleanResult {
  cleaned: Float64Array
  /** False when the rate was too low to filter; `cleaned` is then a copy of the input. */
  filtered: boolean
  note?: string
}

/**
 * NeuroKit2 eda_clean(method='neurokit'): 4th-order Butterworth low-pass at 3 Hz, zero-phase.
 * At 6 Hz or below the 3 Hz cutoff reaches Nyquist, so (as NeuroKit2 does) the signal is passed
 * through unfiltered; E4 EDA at 4 Hz always takes this path, and the result says so.
 */
export function edaClean(signal: ArrayLike<number>, samplingRate: number): EdaCleanResult {
  requireNonEmpty(signal)
  requireRate(samplingRate)
  if (samplingRate <= 6) {
    requireFinite(signal)
    return {
      cleaned: Float64Array.from(signal),
      filtered: false,
      note: `EDA sampled at ${samplingRate} Hz (<= 6 Hz): 3 Hz low-pass skipped`
    }
  }
  // sosfiltfilt refuses non-finite samples itself.
  return { cleaned: sosfiltfilt(butter(4, 3, 'lowpass', samplingRate), signal), filtered: true }
}

export type EdaPhasicMethod = 'highpass' | 'smoothmedian'

/**
 * Tonic/phasic split. 'highpass' is NeuroKit2's default: phasic = 2nd-order Butterworth
 * high-pass at 0.05 Hz, tonic = the matching low-pass (so tonic + phasic is close to, not
 * exactly, the input). 'smoothmedian': tonic = centred running median over 4 s, phasic = input
 * - tonic. The median window is made odd (as NeuroKit2 does) and shrinks at the edges to the
 * samples that exist (our choice: no zero padding, which would drag the tonic down at the ends).
 */
export function edaPhasic(
  cleaned: ArrayLike<number>,
  samplingRate: number,
  method: EdaPhasicMethod = 'highpass'
): { tonic: Float64Array; phasic: Float64Array } {
  requireNonEmpty(cleaned)
  requireRate(samplingRate)
  if (method === 'highpass') {
    // sosfiltfilt refuses non-finite samples itself.
    return {
      tonic: sosfiltfilt(butter(2, 0.05, 'lowpass', samplingRate), cleaned),
      phasic: sosfiltfilt(butter(2, 0.05, 'highpass', samplingRate), cleaned)
    }
  }
  if (method !== 'smoothmedian')
    throw new ValidationError(`unknown phasic method ${String(method)}`, 'method')
  requireFinite(cleaned)
  let size = Math.round(4 * samplingRate)
  if (size % 2 === 0) size += 1
  const half = (size - 1) / 2
  const tonic = runningMedian(cleaned, half)
  const phasic = new Float64Array(cleaned.length)
  for (let i = 0; i < cleaned.length; i++) phasic[i] = cleaned[i] - tonic[i]
  return { tonic, phasic }
}

/** Median of x[i-half .. i+half] clipped to the signal; sorted-window insertion keeps it O(n·w). */
export function runningMedian(x: ArrayLike<number>, half: number): Float64Array {
  const n = x.length
  const output = new Float64Array(n)
  const window: number[] = []
  /** Where v goes in the sorted window (the first element not below it). */
  const positionOf = (v: number): number => {
    let lo = 0
    let hi = window.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (window[mid] < v) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const insert = (v: number): void => {
    window.splice(positionOf(v), 0, v)
  }
  const remove = (v: number): void => {
    window.splice(positionOf(v), 1)
  }

  for (let i = 0; i < Math.min(n, half + 1); i++) insert(x[i])
  for (let i = 0; i < n; i++) {
    const m = window.length
    output[i] = m % 2 === 1 ? window[(m - 1) / 2] : (window[m / 2 - 1] + window[m / 2]) / 2
    if (i + half + 1 < n) insert(x[i + half + 1])
    if (i - half >= 0) remove(x[i - half])
  }
  return output
}

export interface ScrPeaks {
  onsets: number[]
  peaks: number[]
  /** Phasic value at the peak (NeuroKit2's SCR_Height). */
  heights: number[]
  /** Height above the onset: phasic[peak] - phasic[onset] (SCR_Amplitude). */
  amplitudes: number[]
}

/**
 * NeuroKit2 eda_findpeaks(method='neurokit') re-derived from its description:
 * every local maximum of the phasic signal (scipy find_peaks, no constraints) is a candidate;
 * candidates whose prominence is below `amplitudeMin` times the largest prominence are dropped
 * (signal_findpeaks relative_height_min with relative_max=True); the onset is the nearest local
 * minimum strictly before the peak. Our choice where the source is not at hand: a peak with no
 * minimum before it (the signal rises from its first sample) is dropped, since it has no onset to
 * measure an amplitude from.
 */
export function edaPeaks(phasic: ArrayLike<number>, amplitudeMin = 0.1): ScrPeaks {
  requireFinite(phasic)
  if (!(amplitudeMin >= 0 && amplitudeMin <= 1))
    throw new ValidationError(
      `amplitudeMin is relative to the largest SCR: 0-1, got ${amplitudeMin}`,
      'amplitudeMin'
    )
  const candidates = localMaxima(phasic)
  const result: ScrPeaks = { onsets: [], peaks: [], heights: [], amplitudes: [] }
  if (candidates.length === 0) return result
  const prominence = prominences(phasic, candidates)
  // A loop, not Math.max(...prominence): a day of EDA has more maxima than a call may take arguments.
  let largest = -Infinity
  for (const p of prominence) if (p > largest) largest = p
  const troughs = localMinima(phasic)
  let t = 0
  candidates.forEach((peak, i) => {
    if (prominence[i] / largest < amplitudeMin) return
    while (t + 1 < troughs.length && troughs[t + 1] < peak) t++
    if (troughs.length === 0 || troughs[t] >= peak) return
    const onset = troughs[t]
    result.onsets.push(onset)
    result.peaks.push(peak)
    result.heights.push(phasic[peak])
    result.amplitudes.push(phasic[peak] - phasic[onset])
  })
  return result
}
