import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src-main/errors'
import { hrvFrequency, hrvTime, interpolateIntervals } from '../../../src-main/signal/dsp/hrv'
import { bandPower, welch } from '../../../src-main/signal/dsp/welch'
import { loadFixture, relativeError } from './fixtures'

/*
 * Why fft.js: Welch is many equal-size real FFTs; fft.js plans a radix-4 transform once per size
 * and has no dependencies. The PSD below must still equal scipy.signal.welch bin for bin, so a
 * wrong window, scaling or one-sided fold would fail here.
 */

interface HrvFixture {
  nn: number[]
  series: number[]
  frequencies: number[]
  density: number[]
  lf: number
  hf: number
  meanNN: number
  sdnn: number
  rmssd: number
  pnn50: number
  welchRandom: { input: number[]; fs: number; nperseg: number; density: number[] }
}
const fixture = loadFixture<HrvFixture>('hrv.json')

describe('HRV against numpy/scipy (360 synthetic NN intervals with LF and HF rhythms)', () => {
  it('time domain equals numpy', () => {
    const t = hrvTime(fixture.nn)
    expect(t.meanNN).toBeCloseTo(fixture.meanNN, 9)
    expect(t.sdnn).toBeCloseTo(fixture.sdnn, 9)
    expect(t.rmssd).toBeCloseTo(fixture.rmssd, 9)
    expect(t.pnn50).toBeCloseTo(fixture.pnn50, 9)
  })

  it('interpolates at 4 Hz as numpy.interp on the cumulative beat times', () => {
    expect(relativeError(interpolateIntervals(fixture.nn), fixture.series)).toBeLessThan(1e-9)
  })

  it('Welch PSD, LF, HF and LF/HF equal scipy.signal.welch + trapezoid', () => {
    const f = hrvFrequency(fixture.nn)
    expect(relativeError(f.frequencies, fixture.frequencies)).toBeLessThan(1e-12)
    expect(relativeError(f.density, fixture.density)).toBeLessThan(1e-9)
    expect(Math.abs(f.lf - fixture.lf) / fixture.lf).toBeLessThan(1e-9)
    expect(Math.abs(f.hf - fixture.hf) / fixture.hf).toBeLessThan(1e-9)
    expect(f.lfHf).toBeCloseTo(fixture.lf / fixture.hf, 9)
  })

  it('welch matches scipy on white noise at another rate and segment length', () => {
    const w = fixture.welchRandom
    expect(relativeError(welch(w.input, w.fs, w.nperseg).density, w.density)).toBeLessThan(1e-9)
  })
})

describe('Welch properties', () => {
  it('puts a sine at its frequency with the right power (Parseval)', () => {
    const fs = 8
    const x = Float64Array.from({ length: 4096 }, (_, i) => 2 * Math.sin((2 * Math.PI * 1 * i) / fs))
    const { frequencies, density } = welch(x, fs, 256)
    let peak = 0
    for (let k = 1; k < density.length; k++) if (density[k] > density[peak]) peak = k
    expect(frequencies[peak]).toBe(1)
    // amplitude 2 => power 2; the Hann window spreads it over neighbouring bins
    expect(bandPower(frequencies, density, 0.5, 1.5)).toBeCloseTo(2, 1)
  })
})

describe('HRV bad input', () => {
  it('refuses too few, non-positive or non-finite intervals', () => {
    expect(() => hrvTime([800, 810])).toThrow(ValidationError)
    expect(() => hrvTime([800, 0, 810])).toThrow(/intervals\[1\] is 0/)
    expect(() => hrvTime([800, NaN, 810])).toThrow(/NaN/)
  })
  it('refuses recordings shorter than one Welch segment (64 s at 4 Hz)', () => {
    expect(() => hrvFrequency(new Array(50).fill(800))).toThrow(/at least one segment of 256/)
  })
  it('refuses segment lengths fft.js cannot transform', () => {
    expect(() => welch(new Float64Array(500), 4, 100)).toThrow(/power of two/)
  })
})
