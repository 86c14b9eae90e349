import { describe, expect, it } from 'vitest'
import { WINDOW_FEATURES, type WindowFeatures } from '../../src-main/ipc/contract/labels'
import type { SignalData } from '../../src-main/store/signal-store'
import {
  featuresOf,
  prepareFeatures,
  windowFeatures,
  type FeatureStreams
} from '../../src-main/signal/window-features'
import { loadFixture } from './dsp/fixtures'

interface FeatureFixture {
  t0: number
  rates: Record<'eda' | 'bvp' | 'temp' | 'acc', number>
  eda: number[]
  bvp: number[]
  temp: number[]
  acc: number[][]
  windows: ({ startMs: number; endMs: number } & WindowFeatures)[]
}

function stream(t0: number, rateHz: number, rows: number[][]): { rateHz: number; data: SignalData } {
  const channelCount = rows[0]?.length ?? 1
  return {
    rateHz,
    data: {
      times: Float64Array.from(rows, (_, i) => t0 + (i * 1000) / rateHz),
      samples: Float32Array.from(rows.flat()),
      channelCount
    } as SignalData
  }
}

function fixtureStreams(f: FeatureFixture): FeatureStreams {
  return {
    eda: stream(
      f.t0,
      f.rates.eda,
      f.eda.map((v) => [v])
    ),
    bvp: stream(
      f.t0,
      f.rates.bvp,
      f.bvp.map((v) => [v])
    ),
    temp: stream(
      f.t0,
      f.rates.temp,
      f.temp.map((v) => [v])
    ),
    acc: stream(f.t0, f.rates.acc, f.acc)
  }
}

describe('window features against numpy/scipy (test/fixtures/dsp/make_fixtures.py)', () => {
  const fixture = loadFixture<FeatureFixture>('features.json')
  const { features, notes } = windowFeatures(fixtureStreams(fixture), fixture.windows)

  it('computes every feature of every window as the independent computation does', () => {
    expect(notes).toEqual([])
    expect(features).toHaveLength(fixture.windows.length)
    fixture.windows.forEach((expected, w) => {
      for (const { key } of WINDOW_FEATURES) {
        const want = expected[key]
        const got = features[w][key]
        if (want === null) {
          expect(got, `window ${w} ${key}`).toBeNull()
          continue
        }
        expect(got, `window ${w} ${key}`).not.toBeNull()
        // Float32 storage of the inputs is the only difference from the float64 reference.
        const scale = Math.max(1, Math.abs(want))
        expect(Math.abs(got! - want) / scale, `window ${w} ${key}: ${got} vs ${want}`).toBeLessThan(1e-4)
      }
    })
  })

  it('finds SCRs, HRV and pNN50 in the long windows (the fixture is not vacuous)', () => {
    expect(fixture.windows.some((w) => w.scrCount! >= 2)).toBe(true)
    expect(fixture.windows.every((w) => w.pnn50 !== null)).toBe(true)
    expect(fixture.windows.some((w) => w.motionFraction! > 0.2)).toBe(true)
    expect(fixture.windows.some((w) => w.motionFraction === 0)).toBe(true)
  })
})

describe('window features on signals whose answers are known', () => {
  const t0 = 1_000_000
  const seconds = 120
  // Beats every 48 samples at 64 Hz exactly (0.75 s, 80 bpm), as narrow Gaussian pulses.
  const bvp = Array.from({ length: seconds * 64 }, (_, i) => {
    const phase = (i % 48) - 24
    return [Math.exp(-0.5 * (phase / 4) ** 2)]
  })
  const temp = Array.from({ length: seconds * 4 }, (_, i) => [33 + (0.3 / 60) * (i / 4)])
  const acc = Array.from({ length: seconds * 32 }, () => [0, 0, 64])

  it('reads 80 bpm and a 750 ms MeanNN with no variability, a 0.3 °C/min slope, a still wrist', () => {
    const streams: FeatureStreams = {
      bvp: stream(t0, 64, bvp),
      temp: stream(t0, 4, temp),
      acc: stream(t0, 32, acc)
    }
    const prepared = prepareFeatures(streams)
    expect(prepared.notes).toEqual(['eda: no samples in this session'])
    const f = featuresOf(prepared, t0 + 30_000, t0 + 60_000)
    expect(f.hrMean).toBeCloseTo(80, 6)
    expect(f.meanNN).toBeCloseTo(750, 6)
    expect(f.sdnn).toBeCloseTo(0, 6)
    expect(f.rmssd).toBeCloseTo(0, 6)
    expect(f.pnn50).toBe(0)
    expect(f.tempSlope).toBeCloseTo(0.3, 3)
    // Samples at 30 s .. 59.75 s: their mean time is 44.875 s.
    expect(f.tempMean).toBeCloseTo(33 + (0.3 / 60) * 44.875, 4)
    expect(f.accMagnitude).toBe(64)
    expect(f.accEnergy).toBe(0)
    expect(f.motionFraction).toBe(0)
    expect(f.edaTonicMean).toBeNull()
    expect(f.scrCount).toBeNull()
  })

  it('a 5-s window has HR and time-domain HRV but a documented null pNN50', () => {
    const f = windowFeatures({ bvp: stream(t0, 64, bvp) }, [{ startMs: t0 + 40_000, endMs: t0 + 45_000 }])
      .features[0]
    expect(f.hrMean).toBeCloseTo(80, 6)
    expect(f.rmssd).toBeCloseTo(0, 6)
    expect(f.pnn50).toBeNull()
  })

  it('windows outside the recording, over a gap or over a NaN sample are null; the rest are kept', () => {
    const gappedTemp = stream(t0, 4, temp)
    // A 10-s hole from 60 s: times after it shift by 10 s.
    gappedTemp.data.times = gappedTemp.data.times.map((t) => (t >= t0 + 60_000 ? t + 10_000 : t))
    const eda = stream(
      t0,
      4,
      Array.from({ length: seconds * 4 }, (_, i) => [i === 200 ? NaN : 2 + 0.001 * i])
    )
    const { features, notes } = windowFeatures({ temp: gappedTemp, eda }, [
      { startMs: t0 - 20_000, endMs: t0 - 15_000 },
      { startMs: t0 + 55_000, endMs: t0 + 65_000 },
      { startMs: t0 + 10_000, endMs: t0 + 20_000 },
      { startMs: t0 + 48_000, endMs: t0 + 52_000 }
    ])
    expect(features[0].tempMean).toBeNull()
    expect(features[1].tempMean).toBeNull()
    expect(features[2].tempMean).not.toBeNull()
    expect(features[2].edaTonicMean).not.toBeNull()
    expect(features[3].edaTonicMean).toBeNull() // sample 200 is at 50 s
    expect(Number.isFinite(features[2].edaTonicSlope!)).toBe(true)
    expect(notes).toContain('eda: 1 non-finite samples left out of the features')
    for (const row of features)
      for (const value of Object.values(row)) if (value !== null) expect(Number.isFinite(value)).toBe(true)
  })

  it('a BVP too slow to filter and a stretch too short for the padding give nulls with notes, not errors', () => {
    const slow = stream(t0, 8, bvp.slice(0, 800))
    const shortEda = stream(t0, 4, [[2], [2.1], [2.2]])
    const { features, notes } = windowFeatures({ bvp: slow, eda: shortEda }, [
      { startMs: t0, endMs: t0 + 1000 }
    ])
    expect(features[0].hrMean).toBeNull()
    expect(features[0].edaTonicMean).toBeNull()
    expect(notes.join('\n')).toMatch(/bvp at 8 Hz/)
    expect(notes.join('\n')).toMatch(/eda: 1 of 1 stretches \(3 samples\) too short/)
  })
})
