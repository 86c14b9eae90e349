/**
 * np.interp over np.linspace(0, n - 1, points): the paper resamples each channel of a segment by sample
 * index, ignoring timestamps. One sample is repeated.
 */
export function resampleByIndex(values: ArrayLike<number>, points: number): Float32Array {
  const out = new Float32Array(points)
  const n = values.length
  if (n === 0) return out
  for (let k = 0; k < points; k++) {
    const position = points === 1 ? 0 : (k * (n - 1)) / (points - 1)
    const low = Math.floor(position)
    const high = Math.min(n - 1, low + 1)
    const fraction = position - low
    out[k] = values[low] * (1 - fraction) + values[high] * fraction
  }
  return out
}

/**
 * Linear interpolation of (times, values) at grid times; times must be ascending. Grid points before the
 * first or after the last sample take the edge value (the caller has checked the edges are near).
 */
export function resampleToGrid(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  grid: ArrayLike<number>
): Float32Array {
  const out = new Float32Array(grid.length)
  const n = times.length
  let j = 0
  for (let k = 0; k < grid.length; k++) {
    const t = grid[k]
    while (j < n - 2 && times[j + 1] <= t) j++
    if (t <= times[0]) out[k] = values[0]
    else if (t >= times[n - 1]) out[k] = values[n - 1]
    else {
      const span = times[j + 1] - times[j]
      const fraction = span > 0 ? (t - times[j]) / span : 0
      out[k] = values[j] * (1 - fraction) + values[j + 1] * fraction
    }
  }
  return out
}

/**
 * Whether samples cover [startMs, endMs) without a hole longer than toleranceMs, edges included.
 * Returns 'missing' when there are fewer than two samples.
 */
export function coverage(
  times: ArrayLike<number>,
  startMs: number,
  endMs: number,
  toleranceMs: number
): 'ok' | 'missing' | 'gapped' {
  const n = times.length
  if (n < 2) return 'missing'
  if (times[0] - startMs > toleranceMs || endMs - times[n - 1] > toleranceMs) return 'gapped'
  for (let i = 1; i < n; i++) if (times[i] - times[i - 1] > toleranceMs) return 'gapped'
  return 'ok'
}

// One rule for the model's windows and the window features (signal/gaps.ts).
export { gapTolerance } from '../../signal/gaps'
