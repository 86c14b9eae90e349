import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src-main/errors'
import { edaClean, edaPeaks, edaPhasic, runningMedian } from '../../../src-main/signal/dsp/eda'
import { loadFixture, matched, relativeError } from './fixtures'

interface EdaFixture {
  fs: number
  input: number[]
  cleanEvery8: number[]
  phasic: number[]
  tonicEvery8: number[]
  plantedPeaks: number[]
  referenceOnsets: number[]
  referencePeaks: number[]
}
const fixture = loadFixture<EdaFixture>('eda.json')
const every8 = (x: Float64Array): Float64Array => x.filter((_, i) => i % 8 === 0)

describe('EDA pipeline against scipy (16 Hz synthetic record with planted SCRs)', () => {
  const { cleaned, filtered } = edaClean(fixture.input, fixture.fs)
  const { tonic, phasic } = edaPhasic(cleaned, fixture.fs)

  it('cleans, and splits tonic and phasic, as scipy sosfiltfilt does', () => {
    expect(filtered).toBe(true)
    expect(relativeError(every8(cleaned), fixture.cleanEvery8)).toBeLessThan(1e-6)
    expect(relativeError(phasic, fixture.phasic)).toBeLessThan(1e-6)
    expect(relativeError(every8(tonic), fixture.tonicEvery8)).toBeLessThan(1e-6)
  })

  it('finds the same SCR onsets and peaks as the Python reference', () => {
    const scr = edaPeaks(phasic)
    expect(scr.peaks).toEqual(fixture.referencePeaks)
    expect(scr.onsets).toEqual(fixture.referenceOnsets)
    scr.peaks.forEach((p, i) => {
      expect(scr.heights[i]).toBe(phasic[p])
      expect(scr.amplitudes[i]).toBeCloseTo(phasic[p] - phasic[scr.onsets[i]], 12)
      expect(scr.amplitudes[i]).toBeGreaterThan(0)
    })
  })

  it('recovers every planted SCR within 3 samples and nothing else', () => {
    const scr = edaPeaks(phasic)
    expect(matched(fixture.plantedPeaks, scr.peaks, 3)).toBe(fixture.plantedPeaks.length)
    expect(scr.peaks.length).toBe(fixture.plantedPeaks.length)
  })

  it('drops SCRs below amplitudeMin of the largest', () => {
    expect(edaPeaks(phasic, 1).peaks.length).toBe(1)
    expect(() => edaPeaks(phasic, 2)).toThrow(ValidationError)
  })
})

describe('EDA at low rates and the smoothmedian split', () => {
  it('skips cleaning at the E4 rate of 4 Hz and says so', () => {
    const x = [1, 2, 3, 4, 5]
    const result = edaClean(x, 4)
    expect(result.filtered).toBe(false)
    expect(Array.from(result.cleaned)).toEqual(x)
    expect(result.note).toMatch(/4 Hz.*skipped/)
  })

  it('smoothmedian: tonic is the 4 s running median, phasic the remainder', () => {
    const fs = 4
    const x = Float64Array.from({ length: 200 }, (_, i) => 2 + 0.01 * i + (i % 40 === 20 ? 1 : 0))
    const { tonic, phasic } = edaPhasic(x, fs, 'smoothmedian')
    // 4 s at 4 Hz = 16, made odd = 17: a brute-force median over i-8..i+8 clipped to the record.
    for (let i = 0; i < x.length; i++) {
      const w = Array.from(x.subarray(Math.max(0, i - 8), Math.min(x.length, i + 9))).sort((a, b) => a - b)
      const m = w.length % 2 ? w[(w.length - 1) / 2] : (w[w.length / 2 - 1] + w[w.length / 2]) / 2
      expect(tonic[i]).toBe(m)
      expect(phasic[i]).toBeCloseTo(x[i] - m, 12)
    }
    // An isolated spike goes to the phasic part (less one ramp step: it shifts the median by one sample).
    expect(phasic[20]).toBeCloseTo(0.99, 12)
  })

  it('runningMedian handles repeated values and tiny inputs', () => {
    expect(Array.from(runningMedian([3, 3, 3, 1], 1))).toEqual([3, 3, 3, 2])
    expect(Array.from(runningMedian([5], 4))).toEqual([5])
  })

  it('refuses bad input with ValidationError', () => {
    expect(() => edaClean([], 100)).toThrow(ValidationError)
    expect(() => edaClean([1, NaN, 3], 100)).toThrow(/signal\[1\] is NaN/)
    expect(() => edaClean([1, 2, 3], 0)).toThrow(/samplingRate/)
    // 100 Hz is fine, but 10 samples are shorter than the 15-sample padding
    expect(() => edaClean(new Float64Array(10), 100)).toThrow(/at least 16/)
  })
})
