/** Host-time buckets whose lowest offset stands for the clock relation: a batch can arrive late, never early. */
const BUCKET_MS = 5000
/** Before two buckets exist the rate is estimated from the span alone, once it is this long. */
const FIRST_ESTIMATE_MS = 2000

/**
 * One device's clock against the host's, from the moment it starts streaming until it stops or disconnects.
 * A sample's time is the host time at the first batch minus that batch's device time, plus the sample's
 * device time: times follow the device's own sequence or timestamp and rate, so a busy host or a bursty
 * Bluetooth link does not jitter them. The drift between the two clocks is measured from how the arrival
 * times move against the device times (their lower envelope, since transport only ever adds delay) and is
 * stored with the stream rather than corrected.
 */
export class DeviceClock {
  private anchorMs: number | null = null
  private firstHostMs = 0
  private firstDeviceMs = 0
  private lastHostMs = 0
  private lastDeviceMs = 0
  /** Per host-time bucket: the host time and the smallest arrival offset seen in it. */
  private readonly buckets: { hostMs: number; offsetMs: number }[] = []

  constructor(readonly nominalRateHz: number) {}

  /** Host epoch ms of the device time `deviceMs`; the clock must have seen a batch. */
  toHost(deviceMs: number): number {
    if (this.anchorMs === null) throw new Error('the device clock has not been anchored yet')
    return this.anchorMs + deviceMs
  }

  get anchored(): boolean {
    return this.anchorMs !== null
  }

  /** Host times of a batch whose last sample arrived at `hostMs`. */
  place(deviceMs: Float64Array, hostMs: number): Float64Array {
    const n = deviceMs.length
    const times = new Float64Array(n)
    if (n === 0) return times
    const last = deviceMs[n - 1]
    if (this.anchorMs === null) {
      this.anchorMs = hostMs - last
      this.firstHostMs = hostMs
      this.firstDeviceMs = last
    }
    for (let i = 0; i < n; i++) times[i] = this.anchorMs + deviceMs[i]
    if (last >= this.lastDeviceMs) {
      this.lastHostMs = hostMs
      this.lastDeviceMs = last
    }
    const offset = hostMs - (this.anchorMs + last)
    const bucket = Math.floor((hostMs - this.firstHostMs) / BUCKET_MS)
    const current = this.buckets[this.buckets.length - 1]
    if (this.buckets.length - 1 < bucket) this.buckets.push({ hostMs, offsetMs: offset })
    else if (current && offset < current.offsetMs) {
      current.hostMs = hostMs
      current.offsetMs = offset
    }
    return times
  }

  /**
   * Parts per million the device clock runs fast (positive) or slow against the host: the slope of the
   * lowest arrival offsets over host time, null until two buckets of it exist.
   */
  get driftPpm(): number | null {
    const points = this.buckets
    if (points.length < 2) return null
    let meanX = 0
    let meanY = 0
    for (const point of points) {
      meanX += point.hostMs
      meanY += point.offsetMs
    }
    meanX /= points.length
    meanY /= points.length
    let sxy = 0
    let sxx = 0
    for (const point of points) {
      sxy += (point.hostMs - meanX) * (point.offsetMs - meanY)
      sxx += (point.hostMs - meanX) ** 2
    }
    if (sxx === 0) return null
    // The offset grows by (host elapsed - device elapsed): a fast device clock makes it shrink.
    return -(sxy / sxx) * 1e6
  }

  /** Samples per host second: the nominal rate corrected by the drift, or by the elapsed spans early on. */
  get measuredRateHz(): number | null {
    const drift = this.driftPpm
    if (drift !== null) return this.nominalRateHz * (1 + drift / 1e6)
    const hostSpan = this.lastHostMs - this.firstHostMs
    if (hostSpan < FIRST_ESTIMATE_MS) return null
    return (this.nominalRateHz * (this.lastDeviceMs - this.firstDeviceMs)) / hostSpan
  }
}
