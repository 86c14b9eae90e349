/** Points to draw for one channel: times (epoch ms) and values, NaN marking a break in the line. */
export interface ReducedChannel {
  times: Float64Array
  values: Float32Array
  /** Whether min/max per column replaced the raw samples. */
  reduced: boolean
}

export interface ReduceOptions {
  /** Samples of the channel are samples[i * channelCount + channel]. */
  channelCount: number
  channel: number
  /** Index range of the samples to draw: [first, end). */
  first: number
  end: number
  fromMs: number
  toMs: number
  columns: number
  /** A step between two samples longer than this breaks the line (a gap in the recording); Infinity for none. */
  gapMs: number
}

/** Index of the first time >= value in an ascending array (binary search). */
export function lowerBound(times: ArrayLike<number>, value: number): number {
  let low = 0
  let high = times.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (times[middle] < value) low = middle + 1
    else high = middle
  }
  return low
}

class PointWriter {
  times: Float64Array
  values: Float32Array
  length = 0

  constructor(capacity: number) {
    this.times = new Float64Array(Math.max(capacity, 4))
    this.values = new Float32Array(Math.max(capacity, 4))
  }

  push(time: number, value: number): void {
    if (this.length === this.times.length) {
      const times = new Float64Array(this.length * 2)
      const values = new Float32Array(this.length * 2)
      times.set(this.times)
      values.set(this.values)
      this.times = times
      this.values = values
    }
    this.times[this.length] = time
    this.values[this.length] = value
    this.length++
  }

  /** A NaN point half way through a gap, so the chart lifts the pen there. */
  pushBreak(before: number, after: number): void {
    this.push((before + after) / 2, NaN)
  }

  result(reduced: boolean): ReducedChannel {
    return { times: this.times.slice(0, this.length), values: this.values.slice(0, this.length), reduced }
  }
}

/**
 * Level of detail for drawing: the view [fromMs, toMs) is cut into pixel columns, and each column keeps only
 * its smallest and largest sample, in the order they occurred. Every peak and trough that a full-resolution
 * drawing would show at that width is therefore still drawn (unlike plain decimation), at a cost of at most
 * two points per column. When the view holds no more samples than that, the raw samples are returned.
 */
export function reduceMinMax(
  times: Float64Array,
  samples: Float32Array,
  options: ReduceOptions
): ReducedChannel {
  const { channelCount, channel, first, end, fromMs, toMs, columns, gapMs } = options
  const count = Math.max(0, end - first)
  const raw = count <= columns * 2
  const writer = new PointWriter(raw ? count + 16 : columns * 2 + 16)
  if (count === 0) return writer.result(false)

  if (raw) {
    for (let i = first; i < end; i++) {
      if (i > first && times[i] - times[i - 1] > gapMs) writer.pushBreak(times[i - 1], times[i])
      writer.push(times[i], samples[i * channelCount + channel])
    }
    return writer.result(false)
  }

  const columnMs = (toMs - fromMs) / columns
  let column = -1
  let minValue = 0
  let maxValue = 0
  let minIndex = -1
  let maxIndex = -1
  const flush = (): void => {
    if (minIndex < 0) return
    if (minIndex === maxIndex) writer.push(times[minIndex], minValue)
    else if (minIndex < maxIndex) {
      writer.push(times[minIndex], minValue)
      writer.push(times[maxIndex], maxValue)
    } else {
      writer.push(times[maxIndex], maxValue)
      writer.push(times[minIndex], minValue)
    }
  }
  for (let i = first; i < end; i++) {
    const value = samples[i * channelCount + channel]
    const at = Math.min(columns - 1, Math.max(0, Math.floor((times[i] - fromMs) / columnMs)))
    if (at !== column) {
      flush()
      if (i > first && times[i] - times[i - 1] > gapMs) writer.pushBreak(times[i - 1], times[i])
      column = at
      minIndex = -1
      maxIndex = -1
    }
    // NaN samples (sensor dropouts) are skipped rather than poisoning the column's extremes.
    if (Number.isNaN(value)) continue
    if (minIndex < 0) {
      minValue = maxValue = value
      minIndex = maxIndex = i
    } else if (value < minValue) {
      minValue = value
      minIndex = i
    } else if (value > maxValue) {
      maxValue = value
      maxIndex = i
    }
  }
  flush()
  return writer.result(true)
}
