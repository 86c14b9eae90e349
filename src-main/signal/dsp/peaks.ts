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

/** Local minima, as find_peaks(-x): localMaxima with the comparisons turned, so no negated copy is made. */
export function localMinima(x: ArrayLike<number>, from = 0, to = x.length): number[] {
  const troughs: number[] = []
  let i = from + 1
  const last = to - 1
  while (i < last) {
    if (x[i - 1] > x[i]) {
      let ahead = i + 1
      while (ahead < last && x[ahead] === x[i]) ahead++
      if (x[ahead] > x[i]) {
        troughs.push(Math.floor((i + ahead - 1) / 2))
        i = ahead
      }
    }
    i++
  }
  return troughs
}

/**
 * scipy.signal.peak_prominences with no window: how far the peak stands above the higher of the
 * two lowest points reached before the signal climbs above the peak on either side.
 *
 * scipy walks out from every peak, which costs peaks x walk length: on a long noisy phasic EDA (tens of thousands
 * of small maxima, many on slopes) that was most of edaPeaks' time. Here one pass each way with a stack of the
 * samples not yet exceeded (the "previous greater element" scan, each stack entry carrying the minimum of the
 * stretch it closes) gives every sample's lowest point before a higher one, in time linear in the range. The
 * result is the walk's: test/signal/dsp/peaks.test.ts checks it against the walk itself.
 */
export function prominences(
  x: ArrayLike<number>,
  peaks: readonly number[],
  from = 0,
  to = x.length
): number[] {
  if (peaks.length === 0) return []
  const n = to - from
  const leftMin = lowestBeforeHigher(x, from, n, 1)
  const rightMin = lowestBeforeHigher(x, to - 1, n, -1)
  return peaks.map((peak) => x[peak] - Math.max(leftMin[peak - from], rightMin[to - 1 - peak]))
}

/**
 * For k = 0 .. n-1, sample i = start + k * step: the minimum of x over the samples from i back (against `step`)
 * to, not including, the nearest one above x[i] (or to `start`), x[i] included.
 */
function lowestBeforeHigher(x: ArrayLike<number>, start: number, n: number, step: 1 | -1): Float64Array {
  const lowest = new Float64Array(n)
  const stack = new Int32Array(n)
  const stackMin = new Float64Array(n)
  let top = -1
  for (let k = 0, i = start; k < n; k++, i += step) {
    const value = x[i]
    let min = value
    while (top >= 0 && x[stack[top]] <= value) {
      if (stackMin[top] < min) min = stackMin[top]
      top--
    }
    top++
    stack[top] = i
    stackMin[top] = min
    lowest[k] = min
  }
  return lowest
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
