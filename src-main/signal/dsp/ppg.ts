import { ValidationError } from '../../errors'
import { butter } from './butter'
import { boxcarSmooth, localMaxima, prominences } from './peaks'
import { sosfiltfilt } from './sosfilt'
import { requireFinite, requireNonEmpty, requireRate } from './validate'

/**
 * NeuroKit2 ppg_clean(method='elgendi'): 2nd-order Butterworth band-pass 0.5-8 Hz, zero-phase
 * (NeuroKit's docs say 3rd order; its code, which we follow, uses 2). Needs a rate above 16 Hz.
 */
export function ppgClean(signal: ArrayLike<number>, samplingRate: number): Float64Array {
  requireNonEmpty(signal)
  requireRate(samplingRate)
  // sosfiltfilt refuses non-finite samples itself, naming the first.
  return sosfiltfilt(butter(2, [0.5, 8], 'bandpass', samplingRate), signal)
}

export interface ElgendiOptions {
  /** Moving-average window for the systolic peak, s (W1 in Elgendi 2013). */
  peakWindow?: number
  /** Moving-average window for a beat, s (W2). */
  beatWindow?: number
  /** Offset added to the beat average, as a fraction of the mean squared signal (beta). */
  beatOffset?: number
  /** Minimum time between two peaks, s (a refractory period: 200 bpm). */
  minDelay?: number
}

/**
 * Systolic peaks by Elgendi et al. (2013), as NeuroKit2's _ppg_findpeaks_elgendi: clip
 * negatives, square, compare a short (peak) and a long (beat) boxcar average; where the short one
 * exceeds the long one plus the offset is a block of interest; blocks shorter than the peak
 * window are noise; the most prominent local maximum of the cleaned signal in each block is the
 * peak, kept only if more than `minDelay` after the previous one. Returns sample indices.
 */
export function ppgFindPeaks(
  cleaned: ArrayLike<number>,
  samplingRate: number,
  options: ElgendiOptions = {}
): number[] {
  requireFinite(cleaned)
  requireRate(samplingRate)
  const { peakWindow = 0.111, beatWindow = 0.667, beatOffset = 0.02, minDelay = 0.3 } = options
  const n = cleaned.length
  const squared = new Float64Array(n)
  let mean = 0
  for (let i = 0; i < n; i++) {
    const v = cleaned[i] > 0 ? cleaned[i] : 0
    squared[i] = v * v
    mean += squared[i] / n
  }
  const peakKernel = Math.round(peakWindow * samplingRate)
  const beatKernel = Math.round(beatWindow * samplingRate)
  if (peakKernel < 1 || beatKernel < 1)
    throw new ValidationError(
      `sampling rate ${samplingRate} Hz is too low for Elgendi's windows`,
      'samplingRate'
    )
  const maPeak = boxcarSmooth(squared, peakKernel)
  const maBeat = boxcarSmooth(squared, beatKernel)
  const inWave = (i: number): boolean => maPeak[i] > maBeat[i] + beatOffset * mean
  const begins: number[] = []
  const ends: number[] = []
  for (let i = 0; i + 1 < n; i++) {
    const a = inWave(i)
    const b = inWave(i + 1)
    if (!a && b) begins.push(i)
    else if (a && !b && begins.length > 0) ends.push(i)
  }
  const minLength = Math.round(peakWindow * samplingRate)
  const minGap = Math.round(minDelay * samplingRate)
  const peaks: number[] = []
  // NeuroKit seeds its list with 0, so a first peak within minDelay of sample 0 is dropped too.
  let previous = 0
  for (let w = 0; w < Math.min(begins.length, ends.length); w++) {
    const begin = begins[w]
    const end = ends[w]
    if (end - begin < minLength) continue
    const maxima = localMaxima(cleaned, begin, end)
    if (maxima.length === 0) continue
    const prominence = prominences(cleaned, maxima, begin, end)
    let best = 0
    for (let i = 1; i < maxima.length; i++) if (prominence[i] > prominence[best]) best = i
    const peak = maxima[best]
    if (peak - previous > minGap) {
      peaks.push(peak)
      previous = peak
    }
  }
  return peaks
}

/**
 * Heart rate in bpm at each beat, from the interval ending there; the first beat has no interval
 * before it and takes the mean of the others (as NeuroKit2's signal_rate). With `length`, the
 * beat rates are also interpolated linearly onto every sample (held constant before the first and
 * after the last beat); NeuroKit2 uses monotone cubic interpolation there, we keep it linear so
 * the rate never overshoots between beats.
 */
export function heartRate(
  peaks: readonly number[],
  samplingRate: number,
  length?: number
): { atBeats: Float64Array; perSample?: Float64Array } {
  requireRate(samplingRate)
  if (peaks.length < 2)
    throw new ValidationError(`heart rate needs at least 2 peaks, got ${peaks.length}`, 'peaks')
  for (let i = 1; i < peaks.length; i++)
    if (!(peaks[i] > peaks[i - 1])) throw new ValidationError('peaks must be strictly increasing', 'peaks')
  const atBeats = new Float64Array(peaks.length)
  let sum = 0
  for (let i = 1; i < peaks.length; i++) {
    atBeats[i] = (60 * samplingRate) / (peaks[i] - peaks[i - 1])
    sum += (peaks[i] - peaks[i - 1]) / samplingRate
  }
  atBeats[0] = 60 / (sum / (peaks.length - 1))
  if (length === undefined) return { atBeats }
  const perSample = new Float64Array(length)
  let b = 0
  for (let i = 0; i < length; i++) {
    if (i <= peaks[0]) perSample[i] = atBeats[0]
    else if (i >= peaks[peaks.length - 1]) perSample[i] = atBeats[peaks.length - 1]
    else {
      while (peaks[b + 1] < i) b++
      const f = (i - peaks[b]) / (peaks[b + 1] - peaks[b])
      perSample[i] = atBeats[b] + (atBeats[b + 1] - atBeats[b]) * f
    }
  }
  return { atBeats, perSample }
}
