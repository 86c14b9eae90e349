import type { ImportedStream } from '../../store/import-writer'

/**
 * The intervals a heart can beat at: 20..250 bpm, as for the E4's IBI. A longer interval between two
 * detected peaks is beats the device missed, not one slow beat.
 */
export const IBI_RANGE_S = { min: 0.24, max: 3 }

/**
 * Systolic peaks as two event streams: `systolic_peaks` (one event per peak, value 1) and `ibi`, the
 * interval from the previous peak in s at each peak whose interval is a heartbeat's. Differences are
 * taken on the nanosecond integers, before any time becomes a double.
 */
export function beatStreams(peaksNs: BigInt64Array): {
  streams: ImportedStream[]
  implausible: number
  range: string
} {
  const n = peaksNs.length
  const range = `${IBI_RANGE_S.min}..${IBI_RANGE_S.max}`
  if (n === 0) return { streams: [], implausible: 0, range }
  const times = new Float64Array(n)
  // Whole µs as a double are exact; the ns below them do not survive a double at this magnitude anyway.
  for (let i = 0; i < n; i++) times[i] = Number(peaksNs[i] / 1000n) / 1000 + Number(peaksNs[i] % 1000n) / 1e6
  const ibiTimes = new Float64Array(n)
  const ibi = new Float32Array(n)
  let k = 0
  let implausible = 0
  for (let i = 1; i < n; i++) {
    const seconds = Number(peaksNs[i] - peaksNs[i - 1]) / 1e9
    if (seconds < IBI_RANGE_S.min || seconds > IBI_RANGE_S.max) {
      implausible++
      continue
    }
    ibiTimes[k] = times[i]
    ibi[k] = seconds
    k++
  }
  const streams: ImportedStream[] = [
    {
      name: 'systolic_peaks',
      unit: 'peak',
      rateHz: 0,
      channels: ['peak'],
      times,
      samples: new Float32Array(n).fill(1)
    }
  ]
  if (k > 0)
    streams.push({
      name: 'ibi',
      unit: 's',
      rateHz: 0,
      channels: ['ibi'],
      times: ibiTimes.slice(0, k),
      samples: ibi.slice(0, k)
    })
  return { streams, implausible, range }
}
