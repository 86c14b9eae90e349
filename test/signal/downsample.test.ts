import { describe, expect, it } from 'vitest'
import { lowerBound, reduceMinMax } from '../../src-main/signal/downsample'

/** A deterministic pseudo-random sequence (so a failure can be replayed). */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

function signal(count: number, rateHz: number, channelCount: number, seed: number) {
  const next = random(seed)
  const times = new Float64Array(count)
  const samples = new Float32Array(count * channelCount)
  let t = 1_700_000_000_000
  for (let i = 0; i < count; i++) {
    // Jittered sampling with an occasional dropout, as real wristband files have.
    t += (1000 / rateHz) * (next() < 0.002 ? 40 : 0.9 + 0.2 * next())
    times[i] = t
    for (let c = 0; c < channelCount; c++)
      samples[i * channelCount + c] = Math.sin(i / (7 + c)) * 50 + (next() - 0.5) * 30
  }
  return { times, samples }
}

/** Per column, the brute-force extremes of the samples in [from, to), by a plain scan of every sample. */
function bruteExtremes(
  times: Float64Array,
  values: (i: number) => number,
  from: number,
  to: number,
  columns: number
) {
  const extremes = new Map<number, { min: number; max: number }>()
  const width = (to - from) / columns
  for (let i = 0; i < times.length; i++) {
    if (times[i] < from || times[i] >= to) continue
    const column = Math.min(columns - 1, Math.floor((times[i] - from) / width))
    const seen = extremes.get(column)
    const value = values(i)
    if (!seen) extremes.set(column, { min: value, max: value })
    else extremes.set(column, { min: Math.min(seen.min, value), max: Math.max(seen.max, value) })
  }
  return extremes
}

describe('min/max per pixel column', () => {
  for (const { channel, columns, seed } of [
    { channel: 0, columns: 800, seed: 1 },
    { channel: 2, columns: 137, seed: 2 },
    { channel: 1, columns: 1920, seed: 3 }
  ]) {
    it(`keeps every column's smallest and largest sample (channel ${channel}, ${columns} columns)`, () => {
      const channelCount = 3
      const { times, samples } = signal(60_000, 32, channelCount, seed)
      const from = times[1234] - 3.3
      const to = times[57_000] + 0.7
      const first = lowerBound(times, from)
      const end = lowerBound(times, to)
      const reduced = reduceMinMax(times, samples, {
        channelCount,
        channel,
        first,
        end,
        fromMs: from,
        toMs: to,
        columns,
        gapMs: Infinity
      })
      expect(reduced.reduced).toBe(true)
      expect(reduced.times.length).toBeLessThanOrEqual(columns * 2)

      const expected = bruteExtremes(times, (i) => samples[i * channelCount + channel], from, to, columns)
      const width = (to - from) / columns
      const got = new Map<number, { min: number; max: number }>()
      for (let k = 0; k < reduced.times.length; k++) {
        const column = Math.min(columns - 1, Math.floor((reduced.times[k] - from) / width))
        const value = reduced.values[k]
        const seen = got.get(column)
        got.set(
          column,
          seen
            ? { min: Math.min(seen.min, value), max: Math.max(seen.max, value) }
            : { min: value, max: value }
        )
      }
      expect(got).toEqual(expected)
      // Points come out in time order and are real samples (their time exists in the input).
      for (let k = 1; k < reduced.times.length; k++)
        expect(reduced.times[k]).toBeGreaterThan(reduced.times[k - 1])
      const inputTimes = new Set(times)
      for (const t of reduced.times) expect(inputTimes.has(t)).toBe(true)
    })
  }

  it('returns the raw samples when the view holds no more than two per column', () => {
    const { times, samples } = signal(500, 4, 1, 9)
    const reduced = reduceMinMax(times, samples, {
      channelCount: 1,
      channel: 0,
      first: 0,
      end: times.length,
      fromMs: times[0],
      toMs: times[times.length - 1] + 1,
      columns: 250,
      gapMs: Infinity
    })
    expect(reduced.reduced).toBe(false)
    expect(Array.from(reduced.times)).toEqual(Array.from(times))
    expect(Array.from(reduced.values)).toEqual(Array.from(samples))
  })

  it('breaks the line with a NaN point inside a gap longer than the limit, and only there', () => {
    const times = new Float64Array([0, 250, 500, 750, 5000, 5250, 5500])
    const samples = new Float32Array([1, 2, 3, 4, 5, 6, 7])
    const reduced = reduceMinMax(times, samples, {
      channelCount: 1,
      channel: 0,
      first: 0,
      end: times.length,
      fromMs: 0,
      toMs: 6000,
      columns: 100,
      gapMs: 750
    })
    const breaks = Array.from(reduced.values).flatMap((v, k) => (Number.isNaN(v) ? [reduced.times[k]] : []))
    expect(breaks).toEqual([(750 + 5000) / 2])
    expect(reduced.values.length).toBe(times.length + 1)
  })

  it('skips NaN samples when looking for a column extreme', () => {
    const times = new Float64Array(Array.from({ length: 40 }, (_, i) => i))
    const samples = new Float32Array(Array.from({ length: 40 }, (_, i) => (i % 10 === 3 ? NaN : i % 10)))
    const reduced = reduceMinMax(times, samples, {
      channelCount: 1,
      channel: 0,
      first: 0,
      end: 40,
      fromMs: 0,
      toMs: 40,
      columns: 4,
      gapMs: Infinity
    })
    expect(Array.from(reduced.values)).toEqual([0, 9, 0, 9, 0, 9, 0, 9])
  })

  it('finds range bounds by binary search like a linear scan does', () => {
    const times = new Float64Array([1, 2, 2, 2, 5, 8, 13])
    for (const value of [-1, 1, 2, 3, 5, 12.5, 13, 14]) {
      expect(lowerBound(times, value)).toBe(
        times.findIndex((t) => t >= value) === -1 ? times.length : times.findIndex((t) => t >= value)
      )
    }
  })
})
