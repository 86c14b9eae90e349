import { ValidationError } from '../../errors'
import type { SignalData } from '../../store/signal-store'

/**
 * The latest samples of one stream in a fixed ring: times ascending, channels interleaved. Live inference
 * only ever reads the last window, so older samples are overwritten instead of kept.
 */
export class SampleRing {
  private readonly times: Float64Array
  private readonly values: Float32Array
  private oldest = 0
  private count = 0
  /** Time of the first sample accepted since the ring was made or cleared; null before any. */
  firstMs: number | null = null

  constructor(
    readonly channels: number,
    readonly capacity: number
  ) {
    if (!Number.isInteger(channels) || channels < 1)
      throw new ValidationError('channels must be >= 1', 'channels')
    if (!Number.isInteger(capacity) || capacity < 2)
      throw new ValidationError('capacity must be >= 2', 'capacity')
    this.times = new Float64Array(capacity)
    this.values = new Float32Array(capacity * channels)
  }

  get length(): number {
    return this.count
  }

  get lastMs(): number | null {
    return this.count === 0 ? null : this.times[(this.oldest + this.count - 1) % this.capacity]
  }

  /**
   * Appends samples (`values` interleaved, `channels` a sample). Samples not later than the last one kept (a
   * chunk sent twice, a clock stepping back) and non-finite times are dropped, so the ring stays ascending.
   * Returns how many were kept.
   */
  push(times: ArrayLike<number>, values: ArrayLike<number>): number {
    if (values.length !== times.length * this.channels) {
      throw new ValidationError(
        `${times.length} times need ${times.length * this.channels} values (${this.channels} a sample), got ${values.length}`,
        'values'
      )
    }
    let last = this.lastMs ?? -Infinity
    let kept = 0
    for (let i = 0; i < times.length; i++) {
      const t = times[i]
      if (!Number.isFinite(t) || t <= last) continue
      const slot = (this.oldest + this.count) % this.capacity
      this.times[slot] = t
      for (let c = 0; c < this.channels; c++)
        this.values[slot * this.channels + c] = values[i * this.channels + c]
      if (this.count < this.capacity) this.count++
      else this.oldest = (this.oldest + 1) % this.capacity
      this.firstMs ??= t
      last = t
      kept++
    }
    return kept
  }

  /** The samples held, oldest first, as a stored stream reads (a copy). */
  snapshot(): SignalData {
    const times = new Float64Array(this.count)
    const samples = new Float32Array(this.count * this.channels)
    for (let i = 0; i < this.count; i++) {
      const slot = (this.oldest + i) % this.capacity
      times[i] = this.times[slot]
      samples.set(this.values.subarray(slot * this.channels, (slot + 1) * this.channels), i * this.channels)
    }
    return { times, samples, channelCount: this.channels }
  }

  clear(): void {
    this.oldest = 0
    this.count = 0
    this.firstMs = null
  }
}
