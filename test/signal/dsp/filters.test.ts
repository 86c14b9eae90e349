import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src-main/errors'
import { butter, type ButterType, type Sos } from '../../../src-main/signal/dsp/butter'
import { sosfilt, sosfiltfilt, sosfiltfiltPadLength, sosfiltZi } from '../../../src-main/signal/dsp/sosfilt'
import { loadFixture, relativeError } from './fixtures'

/*
 * Why the filter is hand-written: fili's filtfilt (the usual npm choice) runs forward and back
 * with no edge padding and no sosfilt_zi start, so its first and last ~padlen samples differ from
 * scipy.signal.sosfiltfilt, the filter NeuroKit2's numbers come from. The edge cases below (signals
 * of padlen + 1 samples, where everything is edge) are what such a port would fail.
 */

interface FilterCase {
  order: number
  cutoff: number | [number, number]
  type: ButterType
  fs: number
  sos: number[][]
  zi: number[][]
  padlen: number
  signals: { input: number[]; filtfilt: number[]; sosfilt: number[] }[]
}
const { cases } = loadFixture<{ cases: FilterCase[] }>('filters.json')
const label = (c: FilterCase): string =>
  `${c.type} order ${c.order} at ${JSON.stringify(c.cutoff)} Hz, fs ${c.fs}`

describe('butter matches scipy.signal.butter(output="sos")', () => {
  it.each(cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const sos = butter(c.order, c.cutoff, c.type, c.fs)
    expect(sos.length).toBe(c.sos.length)
    sos.forEach((row, s) => row.forEach((v, j) => expect(v).toBeCloseTo(c.sos[s][j], 10)))
    const worst = Math.max(
      ...sos.flatMap((row, s) =>
        row.map((v, j) => Math.abs(v - c.sos[s][j]) / Math.max(1, Math.abs(c.sos[s][j])))
      )
    )
    expect(worst).toBeLessThan(1e-9)
  })
})

describe('sosfiltZi, sosfilt and sosfiltfilt match scipy', () => {
  it.each(cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const sos: Sos = c.sos
    sosfiltZi(sos).forEach((pair, s) =>
      pair.forEach((v, j) =>
        expect(Math.abs(v - c.zi[s][j])).toBeLessThan(1e-9 * Math.max(1, Math.abs(c.zi[s][j])))
      )
    )
    expect(sosfiltfiltPadLength(sos)).toBe(c.padlen)
    const [long] = c.signals
    expect(relativeError(sosfilt(sos, long.input).output.subarray(0, 64), long.sosfilt)).toBeLessThan(1e-9)
    // Full length and the two shortest accepted lengths (padlen + 1, padlen + 2): edges included.
    for (const s of c.signals) expect(relativeError(sosfiltfilt(sos, s.input), s.filtfilt)).toBeLessThan(1e-6)
  })
})

describe('sosfiltfilt properties', () => {
  const sos = butter(4, 3, 'lowpass', 100)
  it('returns a constant unchanged (odd padding plus zi leave no transient)', () => {
    const y = sosfiltfilt(sos, new Float64Array(200).fill(7.25))
    for (const v of y) expect(v).toBeCloseTo(7.25, 10)
  })
  it('passes a straight line through a low-pass unchanged away from the edges', () => {
    // zi is the steady state of a step, not of a ramp, so a ramp's start-up transient decays
    // inside the first second; past it the DC gain of 1 must leave the line exact.
    const line = Float64Array.from({ length: 600 }, (_, i) => 0.5 + 0.01 * i)
    expect(relativeError(sosfiltfilt(sos, line).subarray(200, 400), line.subarray(200, 400))).toBeLessThan(
      1e-7
    )
  })
  it('is linear', () => {
    const a = Float64Array.from({ length: 300 }, (_, i) => Math.sin(i / 5) + ((i * 7919) % 13) / 13)
    const b = Float64Array.from({ length: 300 }, (_, i) => Math.cos(i / 17) * 3)
    const sum = a.map((v, i) => 2 * v - 0.5 * b[i])
    const fa = sosfiltfilt(sos, a)
    const fb = sosfiltfilt(sos, b)
    expect(
      relativeError(
        sosfiltfilt(sos, sum),
        fa.map((v, i) => 2 * v - 0.5 * fb[i])
      )
    ).toBeLessThan(1e-12)
  })
  it('is zero-phase: time reversal commutes with it away from the edges', () => {
    // Not at the edges: the forward pass starts from zi at x[0], the backward one at y[end].
    const x = Float64Array.from({ length: 800 }, (_, i) => Math.sin(i / 3) + Math.sin(i / 29))
    const y = sosfiltfilt(sos, x)
    const yr = sosfiltfilt(sos, x.slice().reverse()).reverse()
    expect(relativeError(yr.subarray(300, 500), y.subarray(300, 500))).toBeLessThan(1e-9)
    // and a passband tone comes out where it went in, not delayed.
    const tone = Float64Array.from({ length: 2000 }, (_, i) => Math.sin((2 * Math.PI * 0.5 * i) / 100))
    const out = sosfiltfilt(sos, tone)
    for (let i = 500; i < 1500; i++) expect(Math.abs(out[i] - tone[i])).toBeLessThan(1e-3)
  })
  it('removes a tone above the cutoff and keeps one below it', () => {
    const fs = 100
    const slow = Float64Array.from({ length: 2000 }, (_, i) => Math.sin((2 * Math.PI * 0.5 * i) / fs))
    const fast = Float64Array.from({ length: 2000 }, (_, i) => Math.sin((2 * Math.PI * 20 * i) / fs))
    const ys = sosfiltfilt(sos, slow)
    const yf = sosfiltfilt(sos, fast)
    expect(Math.max(...yf.subarray(200, 1800).map(Math.abs))).toBeLessThan(1e-4)
    expect(Math.max(...ys.subarray(200, 1800))).toBeGreaterThan(0.99)
  })
  it('does not modify its input', () => {
    const x = Float64Array.from({ length: 100 }, (_, i) => i % 7)
    const copy = x.slice()
    sosfiltfilt(sos, x)
    expect(x).toEqual(copy)
  })
})

describe('bad input', () => {
  const sos = butter(4, 3, 'lowpass', 100)
  it('refuses signals not longer than the padding, naming both lengths', () => {
    expect(() => sosfiltfilt(sos, new Float64Array(15))).toThrow(ValidationError)
    expect(() => sosfiltfilt(sos, new Float64Array(15))).toThrow(/15 samples.*pads 15.*at least 16/)
    expect(sosfiltfilt(sos, new Float64Array(16)).length).toBe(16)
    expect(() => sosfiltfilt(sos, [])).toThrow(ValidationError)
  })
  it('refuses NaN and Inf, naming the sample', () => {
    const x = new Float64Array(100)
    x[42] = NaN
    expect(() => sosfiltfilt(sos, x)).toThrow(/signal\[42\] is NaN/)
    x[42] = Infinity
    expect(() => sosfilt(sos, x)).toThrow(/signal\[42\] is Infinity/)
    expect(() => sosfiltfilt(sos, x)).toThrow(/signal\[42\] is Infinity/)
    // In the last sample too (it also makes the end pad), and in every section count's code path.
    const y = new Float64Array(200)
    y[199] = -Infinity
    for (const order of [1, 2, 4, 6])
      expect(() => sosfiltfilt(butter(order, 5, 'lowpass', 100), y)).toThrow(/signal\[199\] is -Infinity/)
  })
  it('refuses finite samples so large that the filter overflows, instead of returning NaN', () => {
    const x = Float64Array.from({ length: 100 }, (_, i) => (i % 2 ? 1.7e308 : -1.7e308))
    expect(() => sosfiltfilt(sos, x)).toThrow(/overflowed/)
  })
  it('refuses a cutoff at or above Nyquist, naming cutoff and rate', () => {
    expect(() => butter(4, 3, 'lowpass', 6)).toThrow(ValidationError)
    expect(() => butter(4, 3, 'lowpass', 6)).toThrow(
      /cutoff 3 Hz.*Nyquist frequency 3 Hz.*sampling rate 6 Hz/
    )
    expect(() => butter(2, [0.5, 8], 'bandpass', 10)).toThrow(/cutoff 8 Hz/)
    expect(() => butter(2, 0, 'highpass', 10)).toThrow(ValidationError)
    expect(() => butter(2, [8, 0.5], 'bandpass', 100)).toThrow(/low cutoff must be below high/)
    expect(() => butter(0, 1, 'lowpass', 10)).toThrow(/order/)
    expect(() => butter(2, 1, 'lowpass', NaN)).toThrow(/samplingRate/)
  })
})
