/** Epoch times below this are seconds, above it milliseconds (1e11 ms is 1973; 1e11 s is year 5138). */
const SECONDS_LIMIT = 1e11

export interface TidySeries {
  times: Float64Array
  /** Channel-interleaved. */
  samples: Float32Array
  duplicatesRemoved: number
  outOfOrderRows: number
  /** Rows dropped because a value cell was empty or "x". */
  missingValues: number
  /** Whether the file held epoch seconds (converted to ms). */
  wasSeconds: boolean
}

/** Says whether epoch times are in seconds, from their magnitude (the median, so that one odd row cannot decide). */
export function timesAreSeconds(times: Float64Array): boolean {
  // Probes skip empty cells (NaN): a missing first timestamp must not make a file of seconds read as ms.
  const probes: number[] = []
  for (const from of [0, times.length >> 1, times.length - 1]) {
    let i = from
    while (i < times.length && Number.isNaN(times[i])) i++
    if (i < times.length) probes.push(times[i])
  }
  if (probes.length === 0) return false
  const probe = probes.sort((a, b) => a - b)[probes.length >> 1]
  return Math.abs(probe) < SECONDS_LIMIT
}

/** Whether times strictly increase, no value is missing and no row is to be dropped. */
function isClean(times: Float64Array, columns: Float64Array[], drop: Uint8Array | null): boolean {
  if (drop) return false
  for (let i = 0; i < times.length; i++) {
    if (!(times[i] > (i > 0 ? times[i - 1] : -Infinity))) return false
    for (const column of columns) if (Number.isNaN(column[i])) return false
  }
  return true
}

/**
 * Turns parsed columns into a stream: epoch seconds become ms, rows with a missing value or marked in
 * `drop` are dropped, rows are sorted by time (stable, so the first of equal times wins) and repeated
 * times are dropped.
 */
export function tidySeries(
  times: Float64Array,
  columns: Float64Array[],
  options: { toMs?: boolean; drop?: Uint8Array | null } = {}
): TidySeries {
  const wasSeconds = options.toMs ?? timesAreSeconds(times)
  const drop = options.drop ?? null
  const channels = columns.length
  if (isClean(times, columns, drop)) {
    // The common case (a well-kept file): one pass, no index array.
    const scale = wasSeconds ? 1000 : 1
    const samples = new Float32Array(times.length * channels)
    for (let i = 0; i < times.length; i++)
      for (let c = 0; c < channels; c++) samples[i * channels + c] = columns[c][i]
    const outTimes = scale === 1 ? Float64Array.from(times) : Float64Array.from(times, (t) => t * scale)
    return {
      times: outTimes,
      samples,
      duplicatesRemoved: 0,
      outOfOrderRows: 0,
      missingValues: 0,
      wasSeconds
    }
  }
  const keep: number[] = []
  let missingValues = 0
  let outOfOrderRows = 0
  let sorted = true
  let previous = -Infinity
  for (let i = 0; i < times.length; i++) {
    let missing = Number.isNaN(times[i])
    for (let c = 0; c < channels && !missing; c++) missing = Number.isNaN(columns[c][i])
    if (missing) {
      missingValues++
      continue
    }
    // Counted by whoever marked it (see limits.ts screenRange).
    if (drop?.[i]) continue
    if (times[i] < previous) {
      outOfOrderRows++
      sorted = false
    } else previous = times[i]
    keep.push(i)
  }
  let order: Int32Array | number[] = keep
  if (!sorted) order = Int32Array.from(keep).sort((a, b) => times[a] - times[b] || a - b)
  const scale = wasSeconds ? 1000 : 1
  const outTimes = new Float64Array(order.length)
  const outSamples = new Float32Array(order.length * channels)
  let n = 0
  let duplicatesRemoved = 0
  for (let k = 0; k < order.length; k++) {
    const i = order[k]
    const t = times[i] * scale
    if (n > 0 && t === outTimes[n - 1]) {
      duplicatesRemoved++
      continue
    }
    outTimes[n] = t
    for (let c = 0; c < channels; c++) outSamples[n * channels + c] = columns[c][i]
    n++
  }
  return {
    times: outTimes.subarray(0, n),
    samples: outSamples.subarray(0, n * channels),
    duplicatesRemoved,
    outOfOrderRows,
    missingValues,
    wasSeconds
  }
}
