import { describe, expect, it } from 'vitest'
import type { SampleChunk } from '../../src-main/devices/live-source'
import { SIMULATOR_STREAMS, SimulatedWristband } from '../../src-main/devices/simulator'
import { DisplayDecimator } from '../../src-main/engine/live/decimate'
import { SampleRing } from '../../src-main/engine/live/sample-ring'
import { ManualClock } from './manual-clock'

const t0 = Date.UTC(2026, 4, 1, 12, 0, 0)

/** Everything a simulator streams over `seconds`, joined per stream, and the chunk calls. */
function stream(seed: number, seconds: number) {
  const clock = new ManualClock(t0)
  const wristband = new SimulatedWristband({ seed, clock })
  const calls: { at: number; chunks: SampleChunk[] }[] = []
  wristband.start((chunks) => calls.push({ at: clock.now(), chunks }))
  clock.advance(seconds * 1000)
  wristband.stop()
  const joined = new Map<string, { times: number[]; values: number[] }>()
  for (const { chunks } of calls)
    for (const chunk of chunks) {
      const entry = joined.get(chunk.stream) ?? { times: [], values: [] }
      entry.times.push(...chunk.times)
      entry.values.push(...chunk.values)
      joined.set(chunk.stream, entry)
    }
  return { calls, joined, clock }
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length

describe('simulated wristband', () => {
  // Past the first two-minute block, so that the join of two blocks is checked too.
  const { calls, joined, clock } = stream(4, 130)

  it('hands over what is due every 50 ms, never a sample from the future, and stops', () => {
    expect(calls).toHaveLength(130_000 / 50)
    for (const { at, chunks } of calls)
      for (const chunk of chunks) expect(chunk.times.at(-1)!).toBeLessThanOrEqual(at)
    expect(clock.timerCount).toBe(0)
  })

  it('streams every E4 signal at its rate on a regular clock from the start', () => {
    expect(SIMULATOR_STREAMS.map((s) => [s.name, s.rateHz, s.channels.length])).toEqual([
      ['bvp', 64, 1],
      ['eda', 4, 1],
      ['temp', 4, 1],
      ['acc', 32, 3],
      ['hr', 1, 1]
    ])
    for (const { name, rateHz, channels } of SIMULATOR_STREAMS) {
      const { times, values } = joined.get(name)!
      expect(times, name).toHaveLength(130 * rateHz + 1)
      expect(values, name).toHaveLength(times.length * channels.length)
      times.forEach((time, k) => expect(time).toBeCloseTo(t0 + (k * 1000) / rateHz, 6))
      expect(values.every(Number.isFinite), name).toBe(true)
    }
  })

  it('looks like a wrist: a pulse at the reported heart rate, skin values in range, gravity on the accelerometer', () => {
    const hr = joined.get('hr')!.values
    expect(Math.min(...hr)).toBeGreaterThan(50)
    expect(Math.max(...hr)).toBeLessThan(115)
    // The BVP repeats with a heart-rate period: a clear autocorrelation peak at a lag of 0.5 to 1.2 s.
    const bvp = joined.get('bvp')!.values.slice(0, 60 * 64)
    const level = mean(bvp)
    const centred = bvp.map((value) => value - level)
    const correlation = (lag: number) => {
      let sum = 0
      for (let k = 0; k + lag < centred.length; k++) sum += centred[k] * centred[k + lag]
      return sum / centred.reduce((total, value) => total + value * value, 0)
    }
    const heartBand = Array.from({ length: 77 - 32 + 1 }, (_, k) => correlation(32 + k))
    expect(Math.max(...heartBand)).toBeGreaterThan(0.3)
    const eda = joined.get('eda')!.values
    expect(Math.min(...eda)).toBeGreaterThan(0)
    const temp = joined.get('temp')!.values
    expect(Math.min(...temp)).toBeGreaterThan(29)
    expect(Math.max(...temp)).toBeLessThan(37)
    const acc = joined.get('acc')!.values
    const magnitudes = Array.from({ length: acc.length / 3 }, (_, k) =>
      Math.hypot(acc[3 * k], acc[3 * k + 1], acc[3 * k + 2])
    )
    expect(mean(magnitudes)).toBeGreaterThan(50)
    expect(mean(magnitudes)).toBeLessThan(80)
  })

  it('joins its two-minute blocks without a jump in the slow signals', () => {
    const at = 120 * 4
    for (const name of ['eda', 'temp']) {
      const values = joined.get(name)!.values
      const steps = values.slice(1).map((value, k) => Math.abs(value - values[k]))
      // The step across the join is no larger than the largest step inside the blocks.
      expect(Math.abs(values[at] - values[at - 1]), name).toBeLessThanOrEqual(
        Math.max(...steps.slice(0, at - 2)) + 0.05
      )
    }
  })

  it('is reproducible by seed', () => {
    const again = stream(4, 3).joined.get('bvp')!.values
    expect(again).toEqual(joined.get('bvp')!.values.slice(0, again.length))
    expect(stream(5, 3).joined.get('bvp')!.values).not.toEqual(again)
  })

  it('after a stall sends the last second, not the whole backlog', () => {
    const wristband = new SimulatedWristband({ seed: 1, clock: new ManualClock(t0) })
    wristband.start(() => undefined)
    const chunks = wristband.due(t0 + 60_000)
    wristband.stop()
    const bvp = chunks.find((chunk) => chunk.stream === 'bvp')!
    expect(bvp.times).toHaveLength(64)
    expect(bvp.times.at(-1)).toBe(t0 + 60_000)
  })
})

describe('sample ring', () => {
  it('keeps the latest samples in time order across the wrap, dropping repeats and late ones', () => {
    const ring = new SampleRing(2, 5)
    expect(ring.push([1, 2, 3], [10, 11, 20, 21, 30, 31])).toBe(3)
    // 3 again and 2.5 are not after the last sample: dropped.
    expect(ring.push([3, 2.5, 4, 5, 6, 7], [0, 0, 0, 0, 40, 41, 50, 51, 60, 61, 70, 71])).toBe(4)
    const { times, samples, channelCount } = ring.snapshot()
    expect(Array.from(times)).toEqual([3, 4, 5, 6, 7])
    expect(Array.from(samples)).toEqual([30, 31, 40, 41, 50, 51, 60, 61, 70, 71])
    expect(channelCount).toBe(2)
    expect(ring.firstMs).toBe(1)
    expect(ring.lastMs).toBe(7)
    expect(() => ring.push([8], [1])).toThrow(/1 times need 2 values/)
    ring.clear()
    expect(ring.length).toBe(0)
    expect(ring.firstMs).toBeNull()
  })
})

describe('display decimation', () => {
  it('keeps every k-th sample of fast streams however the chunks are cut', () => {
    const decimator = new DisplayDecimator(SIMULATOR_STREAMS, 32)
    const chunk = (from: number, count: number, channels = 1): SampleChunk => ({
      stream: channels === 3 ? 'acc' : 'bvp',
      times: Float64Array.from({ length: count }, (_, k) => from + k),
      values: Float32Array.from({ length: count * channels }, (_, k) => from * channels + k)
    })
    // BVP at 64 Hz: every second sample; chunks of 3 do not reset the count.
    const kept = [chunk(0, 3), chunk(3, 3), chunk(6, 3)].flatMap((c) => decimator.take(c).times)
    expect(kept).toEqual([0, 2, 4, 6, 8])
    // ACC at 32 Hz: all of them, channels together.
    expect(decimator.take(chunk(0, 2, 3))).toEqual({ name: 'acc', times: [0, 1], values: [0, 1, 2, 3, 4, 5] })
  })
})
