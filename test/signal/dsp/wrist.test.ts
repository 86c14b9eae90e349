import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src-main/errors'
import { accMagnitude, motionFlags } from '../../../src-main/signal/dsp/acc'
import { windowQuality } from '../../../src-main/signal/dsp/quality'
import { resampleLinear } from '../../../src-main/signal/dsp/resample'
import { temperatureSlope, temperatureSmooth } from '../../../src-main/signal/dsp/temp'

describe('resampleLinear', () => {
  it('reproduces a line exactly at any rate, up to the last input time', () => {
    const x = Float64Array.from({ length: 41 }, (_, i) => 3 + 0.5 * i) // 10 s at 4 Hz
    const y = resampleLinear(x, 4, 64)
    expect(y.length).toBe(641)
    y.forEach((v, j) => expect(v).toBeCloseTo(3 + 0.5 * ((j * 4) / 64), 12))
    expect(Array.from(resampleLinear(x, 4, 1))).toEqual([3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23])
  })
  it('is the identity at the same rate and refuses bad input', () => {
    expect(Array.from(resampleLinear([1, 5, 2], 4, 4))).toEqual([1, 5, 2])
    expect(() => resampleLinear([], 4, 8)).toThrow(ValidationError)
    expect(() => resampleLinear([1, NaN], 4, 8)).toThrow(/NaN/)
    expect(() => resampleLinear([1, 2], 4, 0)).toThrow(/toRate/)
  })
})

describe('temperature', () => {
  it('slope is the least-squares °C per minute, unaffected by zero-mean noise pattern', () => {
    const fs = 4
    const x = Float64Array.from(
      { length: 2400 },
      (_, i) => 33 + (0.2 / 60) * (i / fs) + (i % 2 ? 0.02 : -0.02)
    )
    expect(temperatureSlope(x, fs)).toBeCloseTo(0.2, 4)
    expect(temperatureSlope([33, 33, 33], fs)).toBe(0)
    expect(() => temperatureSlope([33], fs)).toThrow(ValidationError)
  })
  it('smoothing keeps a constant and flattens the quantisation staircase', () => {
    const x = Float64Array.from({ length: 400 }, (_, i) => 33 + (i % 2) * 0.02)
    const y = temperatureSmooth(x, 4, 5)
    for (const v of y.subarray(20, 380)) expect(Math.abs(v - 33.01)).toBeLessThan(0.001)
    expect(Array.from(temperatureSmooth([2, 2, 2], 4))).toEqual([2, 2, 2])
    expect(() => temperatureSmooth([1], 4, 0)).toThrow(/windowSeconds/)
  })
})

describe('acceleration', () => {
  it('magnitude is the Euclidean norm', () => {
    expect(Array.from(accMagnitude([3, 0], [4, 0], [0, 64]))).toEqual([5, 64])
    expect(() => accMagnitude([1], [1, 2], [1])).toThrow(/differ in length/)
  })
  it('flags a shake but not a slow wrist rotation', () => {
    const fs = 32
    const n = 320
    // slow rotation: gravity (64 = 1 g) moves from z to x, norm constant
    const x = Float64Array.from({ length: n }, (_, i) => 64 * Math.sin((i / n) * (Math.PI / 2)))
    const z = Float64Array.from({ length: n }, (_, i) => 64 * Math.cos((i / n) * (Math.PI / 2)))
    const y = new Float64Array(n)
    for (let i = 160; i < 176; i++) y[i] = i % 2 ? 40 : -40 // half a second of shaking
    const flags = motionFlags(accMagnitude(x, y, z), fs)
    expect(flags.subarray(0, 150).every((f) => f === 0)).toBe(true)
    expect(flags.subarray(160, 176).some((f) => f === 1)).toBe(true)
    expect(flags.subarray(190).every((f) => f === 0)).toBe(true)
    expect(() => motionFlags([1], fs, { threshold: -1 })).toThrow(ValidationError)
  })
})

describe('windowQuality', () => {
  it('scores valid, clipped, flat and out-of-range windows', () => {
    const fs = 10
    const x = Float64Array.from({ length: 40 }, (_, i) => Math.sin(i))
    for (let i = 10; i < 20; i++) x[i] = 0.5 // flat
    x[25] = NaN
    x[26] = 5 // outside the valid range
    x[35] = 1 // at the clip limit
    const q = windowQuality(x, fs, {
      windowSeconds: 1,
      validMin: -2,
      validMax: 2,
      clipHigh: 1,
      flatSeconds: 0.5
    })
    expect(q.map((w) => w.flat)).toEqual([false, true, false, false])
    expect(q[0].index).toBe(1)
    expect(q[1].index).toBe(0)
    expect(q[2].validFraction).toBeCloseTo(0.8, 12)
    expect(q[3].clippedFraction).toBeCloseTo(0.1, 12)
    expect(q[3].index).toBeCloseTo(0.9, 12)
  })
  it('PPG beat regularity: regular beats score 1, a missed beat lowers it', () => {
    const fs = 64
    const signal = Float64Array.from({ length: 640 }, (_, i) => Math.sin(i / 3))
    const regular = Array.from({ length: 12 }, (_, i) => 10 + i * 50)
    expect(windowQuality(signal, fs, {}, regular)[0].beatRegularity).toBe(1)
    const missed = regular.filter((_, i) => i !== 5)
    const q = windowQuality(signal, fs, {}, missed)[0]
    expect(q.beatRegularity!).toBeLessThan(0.5)
    expect(q.index).toBe(q.beatRegularity)
    expect(() => windowQuality(signal, fs, { windowSeconds: 0 })).toThrow(ValidationError)
  })
})
