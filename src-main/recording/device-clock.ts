/** Host-time buckets whose lowest offset stands for the clock relation: a batch can arrive late, never early. */
const BUCKET_MS = 5000
/** Host timers jitter by milliseconds: the drift is reported once this many buckets make it meaningful. */
const DRIFT_BUCKETS = 6

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
  /** Per host-time bucket: the host time and the smallest arrival offset seen in it. */
  private readonly buckets: { hostMs: number; offsetMs: number }[] = []
  private slope: { buckets: number; ppm: number } | null = null

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
    }
    for (let i = 0; i < n; i++) times[i] = this.anchorMs + deviceMs[i]
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
   * lowest arrival offsets over host time, null until DRIFT_BUCKETS buckets of it exist.
   */
  get driftPpm(): number | null {
    return this.buckets.length - 1 < DRIFT_BUCKETS ? null : this.slopePpm()
  }

  /** The slope over the completed buckets: the newest is still filling, and one late batch would be its floor. */
  private slopePpm(): number | null {
    const completed = this.buckets.length - 1
    if (completed < 2) return null
    if (this.slope?.buckets === completed) return this.slope.ppm
    const points = this.buckets.slice(0, completed)
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
    const ppm = -(sxy / sxx) * 1e6
    this.slope = { buckets: completed, ppm }
    return ppm
  }

  /**
   * Samples per host second of a stream of this device sampled at `nominalRateHz` by its own clock: the
   * nominal rate corrected by the clocks' relation, once two buckets are complete (a span alone would count
   * the first batch's delay as rate).
   */
  measuredRate(nominalRateHz: number): number | null {
    const slope = this.slopePpm()
    return slope === null ? null : nominalRateHz * (1 + slope / 1e6)
  }
}
