/**
 * Ports of the parts of scipy.signal.find_peaks that NeuroKit2 relies on, so that peak lists
 * can be checked index for index against the Python reference.
 */

/** scipy's _local_maxima_1d: strict local maxima; a flat top reports its middle (rounded down). */
export function localMaxima(x: ArrayLike<number>, from = 0, to = x.length): number[] {
  const peaks: number[] = []
  let i = from + 1
  const last = to - 1
  while (i < last) {
    if (x[i - 1] < x[i]) {
      let ahead = i + 1
      while (ahead < last && x[ahead] === x[i]) ahead++
      if (x[ahead] < x[i]) {
        peaks.push(Math.floor((i + ahead - 1) / 2))
        i = ahead
      }
    }
    i++
  }
  return peaks
}

/** Local minima, as find_peaks(-x). */
export function localMinima(x: ArrayLike<number>, from = 0, to = x.length): number[] {
  const negated = new Float64Array(to - from)
  for (let i = from; i < to; i++) negated[i - from] = -x[i]
  return localMaxima(negated).map((i) => i + from)
}

/**
 * scipy.signal.peak_prominences with no window: how far the peak stands above the higher of the
 * two lowest points reached before the signal climbs above the peak on either side.
 */
export function prominences(
  x: ArrayLike<number>,
  peaks: readonly number[],
  from = 0,
  to = x.length
): number[] {
  return peaks.map((peak) => {
    const height = x[peak]
    let leftMin = height
    for (let j = peak; j >= from && x[j] <= height; j--) if (x[j] < leftMin) leftMin = x[j]
    let rightMin = height
    for (let j = peak; j < to && x[j] <= height; j++) if (x[j] < rightMin) rightMin = x[j]
    return height - Math.max(leftMin, rightMin)
  })
}

/**
 * NeuroKit2's signal_smooth(kernel='boxcar'): a moving average whose window is `size` samples,
 * placed as numpy.convolve(mode='same') places it, with the signal's end values repeated past
 * its edges (NeuroKit pads by `size` copies; clamping the index is the same thing).
 */
export function boxcarSmooth(x: ArrayLike<number>, size: number): Float64Array {
  const n = x.length
  const output = new Float64Array(n)
  if (n === 0) return output
  const ahead = Math.floor((size - 1) / 2)
  const behind = size - 1 - ahead
  const at = (i: number): number => x[Math.min(n - 1, Math.max(0, i))]
  let sum = 0
  for (let i = -behind; i <= ahead; i++) sum += at(i)
  for (let i = 0; i < n; i++) {
    output[i] = sum / size
    sum += at(i + ahead + 1) - at(i - behind)
  }
  return output
}
