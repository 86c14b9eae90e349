import { describe, expect, it } from 'vitest'
import { DeviceClock } from '../../src-main/recording/device-clock'
import { Random } from '../../src-main/datasets/synth/random'

/**
 * A device whose clock runs `ppm` fast, sending a batch of `perBatch` samples at `rateHz` that reaches the
 * host after a random transport delay (never negative, now and then long, as over Bluetooth).
 */
function simulate(ppm: number, seconds: number, rateHz = 100, perBatch = 10, seed = 1) {
  const random = new Random(seed)
  const clock = new DeviceClock()
  const hostStart = 1_800_000_000_000
  const placed: { deviceMs: number; hostMs: number }[] = []
  for (let batch = 0; (batch * perBatch) / rateHz < seconds; batch++) {
    const deviceMs = new Float64Array(perBatch)
    for (let i = 0; i < perBatch; i++) deviceMs[i] = ((batch * perBatch + i) * 1000) / rateHz
    const last = deviceMs[perBatch - 1]
    // The host sees device time `last` at host time last / (1 + ppm) plus the delay.
    const delay = random.uniform() < 0.05 ? 20 + random.uniform() * 200 : random.uniform() * 4
    const hostMs = hostStart + last / (1 + ppm / 1e6) + delay
    const times = clock.place(deviceMs, hostMs)
    placed.push({ deviceMs: deviceMs[0], hostMs: times[0] })
  }
  return { clock, placed }
}

describe('device clock', () => {
  it('times every sample by the device clock from one anchor, so host delays do not jitter them', () => {
    const { placed } = simulate(0, 10)
    const anchor = placed[0].hostMs - placed[0].deviceMs
    for (const sample of placed) expect(sample.hostMs - anchor).toBeCloseTo(sample.deviceMs, 9)
  })

  it('measures a fast and a slow device clock in parts per million, from the lowest arrival delays', () => {
    for (const ppm of [150, -80, 0]) {
      const { clock } = simulate(ppm, 120, 100, 10, 3)
      expect(Math.abs(clock.driftPpm! - ppm), `${ppm} ppm`).toBeLessThan(15)
      expect(clock.measuredRate(512)).toBeCloseTo(512 * (1 + ppm / 1e6), 1)
      // One relation serves every stream of the device, whatever its own rate.
      expect(clock.measuredRate(4)! / clock.measuredRate(512)!).toBeCloseTo(4 / 512, 9)
    }
  })

  it('reports no drift before half a minute, and no rate before two 5-s buckets are complete', () => {
    expect(simulate(500, 9).clock.measuredRate(100)).toBeNull()
    const early = simulate(500, 20).clock
    expect(early.driftPpm).toBeNull()
    expect(early.measuredRate(100)).not.toBeNull()
  })
})
