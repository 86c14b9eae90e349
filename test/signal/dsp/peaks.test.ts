import { describe, expect, it } from 'vitest'
import { localMaxima, localMinima, prominences } from '../../../src-main/signal/dsp/peaks'

/** scipy's own walk out from each peak (peak_prominences, wlen=None): the oracle for the one-pass version. */
function walkedProminences(
  x: ArrayLike<number>,
  peaks: readonly number[],
  from: number,
  to: number
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

function seeded(seed: number): () => number {
  let state = seed
  return () => (state = (state * 16807) % 2147483647) / 2147483647
}

describe('prominences', () => {
  it('equal the walk out from each peak on noisy, quantised, plateaued signals and on sub-ranges', () => {
    const random = seeded(11)
    for (let trial = 0; trial < 40; trial++) {
      const n = 50 + Math.floor(random() * 2000)
      // Quantised to few levels so that ties and flat tops are common; a trend so peaks sit on slopes.
      const x = Float64Array.from({ length: n }, (_, i) => Math.round(4 * random() + (trial % 3) * 0.01 * i))
      const from = trial % 2 ? Math.floor(random() * 20) : 0
      const to = trial % 4 > 1 ? n - Math.floor(random() * 20) : n
      const peaks = localMaxima(x, from, to)
      expect(peaks.length).toBeGreaterThan(0)
      expect(prominences(x, peaks, from, to)).toEqual(walkedProminences(x, peaks, from, to))
    }
  })

  it('handles a peak at a range edge neighbourhood, a monotone rise and no peaks', () => {
    const x = [0, 3, 1, 2, 5, 5, 4, 6, 0]
    const peaks = localMaxima(x)
    expect(peaks).toEqual([1, 4, 7])
    expect(prominences(x, peaks)).toEqual(walkedProminences(x, peaks, 0, x.length))
    expect(prominences([1, 2, 3, 4], [])).toEqual([])
  })

  it('local minima are the local maxima of the negated signal, ties and sub-ranges included', () => {
    const random = seeded(5)
    for (let trial = 0; trial < 20; trial++) {
      const n = 20 + Math.floor(random() * 500)
      const x = Float64Array.from({ length: n }, () => Math.round(3 * random()))
      const negated = x.map((v) => -v)
      const from = trial % 2 ? 3 : 0
      const to = trial % 3 ? n - 2 : n
      expect(localMinima(x, from, to)).toEqual(localMaxima(negated, from, to))
    }
  })
})
