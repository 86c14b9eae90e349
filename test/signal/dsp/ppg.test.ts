import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src-main/errors'
import { heartRate, ppgClean, ppgFindPeaks } from '../../../src-main/signal/dsp/ppg'
import { loadFixture, matched, relativeError } from './fixtures'

interface PpgFixture {
  fs: number
  input: number[]
  plantedPeaks: number[]
  referencePeaks: number[]
  cleanEvery16: number[]
}
const fixture = loadFixture<PpgFixture>('ppg.json')

describe('PPG against scipy and planted beats (64 Hz, 150 s, noise and baseline wander)', () => {
  const cleaned = ppgClean(fixture.input, fixture.fs)
  const peaks = ppgFindPeaks(cleaned, fixture.fs)

  it('cleans as scipy sosfiltfilt(butter(2, [0.5, 8], bandpass)) does', () => {
    expect(
      relativeError(
        cleaned.filter((_, i) => i % 16 === 0),
        fixture.cleanEvery16
      )
    ).toBeLessThan(1e-6)
  })

  it('finds the same peaks as the Python Elgendi reference', () => {
    expect(peaks).toEqual(fixture.referencePeaks)
  })

  it('finds at least 99% of the planted beats within 3 samples, with at most 1% extra', () => {
    const found = matched(fixture.plantedPeaks, peaks, 3)
    expect(found / fixture.plantedPeaks.length).toBeGreaterThanOrEqual(0.99)
    expect(peaks.length).toBeLessThanOrEqual(Math.ceil(fixture.plantedPeaks.length * 1.01))
  })

  it('gives heart rate at each beat, in the planted 62-78 bpm range', () => {
    const { atBeats, perSample } = heartRate(peaks, fixture.fs, cleaned.length)
    expect(atBeats.length).toBe(peaks.length)
    // Planted 62-78 bpm plus 20 ms jitter per beat and the detector's one-sample spread.
    expect(Math.min(...atBeats)).toBeGreaterThan(55)
    expect(Math.max(...atBeats)).toBeLessThan(85)
    expect(perSample!.length).toBe(cleaned.length)
    expect(perSample![peaks[5]]).toBe(atBeats[5])
  })
})

describe('heartRate', () => {
  it('is 60 * fs / interval, the first beat taking the mean interval', () => {
    const { atBeats, perSample } = heartRate([0, 100, 300], 100, 400)
    expect(Array.from(atBeats)).toEqual([40, 60, 30])
    expect(perSample![50]).toBeCloseTo(50, 12)
    expect(perSample![350]).toBe(30)
  })
  it('refuses fewer than two peaks and unordered ones', () => {
    expect(() => heartRate([5], 64)).toThrow(ValidationError)
    expect(() => heartRate([5, 5], 64)).toThrow(/strictly increasing/)
  })
})

describe('PPG bad input', () => {
  it('refuses rates whose Nyquist is below the 8 Hz band edge', () => {
    expect(() => ppgClean(new Float64Array(1000), 16)).toThrow(/cutoff 8 Hz.*sampling rate 16 Hz/)
  })
  it('refuses NaN, Inf and empty signals', () => {
    expect(() => ppgClean([], 64)).toThrow(ValidationError)
    expect(() => ppgFindPeaks([0, Infinity, 0], 64)).toThrow(/Infinity/)
  })
  it('finds nothing in silence', () => {
    expect(ppgFindPeaks(new Float64Array(640), 64)).toEqual([])
  })
})
