import FFT from 'fft.js'
import { ValidationError } from '../../errors'
import { requireFinite, requireRate } from './validate'

/*
 * fft.js rather than a hand-written DFT: Welch needs many same-size transforms, and fft.js is a
 * small, dependency-free radix-4 FFT that plans once per size. It only takes power-of-two sizes,
 * hence the restriction on `segmentLength`.
 */

/**
 * scipy.signal.welch(x, fs, nperseg=segmentLength) with its other defaults: periodic Hann window,
 * 50% overlap, per-segment mean removal (detrend='constant'), one-sided density scaling (V²/Hz),
 * mean of the segments. Segments start every segmentLength/2 samples while they fit.
 */
export function welch(
  signal: ArrayLike<number>,
  samplingRate: number,
  segmentLength = 256
): { frequencies: Float64Array; density: Float64Array } {
  requireFinite(signal)
  requireRate(samplingRate)
  if (!Number.isInteger(Math.log2(segmentLength)) || segmentLength < 4)
    throw new ValidationError(
      `segmentLength must be a power of two >= 4, got ${segmentLength}`,
      'segmentLength'
    )
  if (signal.length < segmentLength)
    throw new ValidationError(
      `Welch needs at least one segment of ${segmentLength} samples; signal has ${signal.length}`,
      'signal'
    )
  const window = new Float64Array(segmentLength)
  let windowPower = 0
  for (let i = 0; i < segmentLength; i++) {
    window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / segmentLength)
    windowPower += window[i] * window[i]
  }
  const step = segmentLength - Math.floor(segmentLength / 2)
  const bins = segmentLength / 2 + 1
  const density = new Float64Array(bins)
  const fft = new FFT(segmentLength)
  const input = new Array<number>(segmentLength)
  const spectrum = fft.createComplexArray() as number[]
  let segments = 0
  for (let start = 0; start + segmentLength <= signal.length; start += step) {
    let mean = 0
    for (let i = 0; i < segmentLength; i++) mean += signal[start + i]
    mean /= segmentLength
    for (let i = 0; i < segmentLength; i++) input[i] = (signal[start + i] - mean) * window[i]
    fft.realTransform(spectrum, input)
    for (let k = 0; k < bins; k++) density[k] += spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2
    segments++
  }
  const scale = 1 / (samplingRate * windowPower * segments)
  const frequencies = new Float64Array(bins)
  for (let k = 0; k < bins; k++) {
    // One-sided: fold the negative frequencies onto the positive ones, except DC and Nyquist.
    density[k] *= k === 0 || k === bins - 1 ? scale : 2 * scale
    frequencies[k] = (k * samplingRate) / segmentLength
  }
  return { frequencies, density }
}

/** Band power by the trapezoid rule over the bins with low <= f < high (NeuroKit2's convention). */
export function bandPower(
  frequencies: Float64Array,
  density: Float64Array,
  low: number,
  high: number
): number {
  let power = 0
  let previous = -1
  for (let k = 0; k < frequencies.length; k++) {
    if (frequencies[k] < low || frequencies[k] >= high) continue
    if (previous >= 0)
      power += ((density[previous] + density[k]) / 2) * (frequencies[k] - frequencies[previous])
    previous = k
  }
  return power
}
