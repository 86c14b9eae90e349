import { FileFormatError } from '../../errors'
import type { EmbraceFile, SensorPart } from './embrace-file'
import { EMBRACE_STREAMS, EMBRACE_UNITS, nominalRate, type EmbraceStreamKind } from './streams'

/**
 * Consecutive files of one device, joined into sessions. Empatica cuts a recording into files of about 30
 * minutes (sometimes seconds); each sensor's next start follows its previous samples within a few samples,
 * overlapping by up to a fraction of a second, and a pause (charging, off-wrist) leaves a gap.
 */

export interface JoinOptions {
  /** A pause longer than this between files starts a new session (unless oneSession). */
  maxGapS: number
  /** Every file of a device in one session, pauses stored as gaps. */
  oneSession: boolean
}

export const DEFAULT_MAX_GAP_S = 300

/**
 * The most one file may start before the previous one's samples end. Real overlaps are a few samples
 * (up to 0.16 s seen); a file that goes back further is a copy, or of another recording: time runs backwards.
 */
export const MAX_OVERLAP_MS = 2000

export interface StreamGap {
  startMs: number
  endMs: number
  missing: number
}

export interface JoinedStream {
  kind: EmbraceStreamKind
  name: string
  unit: string
  nominalHz: number
  /** Samples over the time the files cover (gaps left out): the files' own estimates, combined. */
  measuredHz: number
  /** The files' estimates, lowest and highest. */
  fileRates: [number, number]
  times: Float64Array
  samples: Float32Array
  gaps: StreamGap[]
  /** Samples of a file that repeat the end of the previous one, left out. */
  overlapDropped: number
  /** Samples whose value was not a number, or outside what the sensor can produce, left out as gaps. */
  invalidDropped: number
  /** Of those, the ones outside the sensor's range. */
  outOfRange: number
  /** The most one file's samples started before the previous file's ended, in ms. */
  largestOverlapMs: number
}

export interface JoinedSession {
  participant: string
  device: string
  files: EmbraceFile[]
  streams: JoinedStream[]
  peaksNs: BigInt64Array
  /** Peaks written by two files, kept once. */
  duplicatePeaks: number
  tagsMs: number[]
  /** Pauses between files (a stream-independent view, for the report). */
  pauses: { startMs: number; endMs: number }[]
  /** The most any file started before the previous ended, in ms. */
  largestOverlapMs: number
  problems: string[]
}

function partEndMs(part: SensorPart): number {
  return part.startMs + (part.count * 1000) / part.rateHz
}

function fileSpan(file: EmbraceFile): { startMs: number; endMs: number } | undefined {
  if (file.sensors.length === 0) return undefined
  let startMs = Infinity
  let endMs = -Infinity
  for (const part of file.sensors) {
    startMs = Math.min(startMs, part.startMs)
    endMs = Math.max(endMs, partEndMs(part))
  }
  return { startMs, endMs }
}

function earliestTime(file: EmbraceFile): number {
  let t = Infinity
  for (const part of file.sensors) t = Math.min(t, part.startMs)
  if (file.peaksNs.length > 0) t = Math.min(t, Number(file.peaksNs[0] / 1000n) / 1000)
  if (file.tagsMs.length > 0) t = Math.min(t, file.tagsMs[0])
  return t
}

/**
 * Rates for sensors whose file wrote 0 beside samples: the same sensor's rate in the nearest file before or
 * after, else its nominal rate. Returns the report's lines.
 */
function fillMissingRates(files: EmbraceFile[]): Map<EmbraceFile, string[]> {
  const problems = new Map<EmbraceFile, string[]>()
  files.forEach((file, index) => {
    for (const part of file.sensors) {
      if (part.rateHz !== 0) continue
      let rate = 0
      let from = ''
      for (let distance = 1; distance < files.length && rate === 0; distance++) {
        for (const neighbour of [files[index - distance], files[index + distance]]) {
          const same = neighbour?.sensors.find((other) => other.kind === part.kind && other.rateHz > 0)
          if (same && rate === 0) {
            rate = same.rateHz
            from = `the rate of ${neighbour.name}`
          }
        }
      }
      if (rate === 0 && part.kind.nominalHz.length > 0) {
        rate = part.kind.nominalHz[0]
        from = 'the nominal rate'
      }
      if (rate === 0)
        throw new FileFormatError(
          file.path,
          `rawData.${part.kind.field} has ${part.count} samples but samplingFrequency 0, and no other file gives its rate`
        )
      part.rateHz = rate
      problems.set(file, [
        ...(problems.get(file) ?? []),
        `${file.name}: ${part.kind.field} has ${part.count} samples at samplingFrequency 0; timed at ${+rate.toPrecision(6)} Hz (${from})`
      ])
    }
  })
  return problems
}

function joinStream(kind: EmbraceStreamKind, parts: { file: EmbraceFile; part: SensorPart }[]): JoinedStream {
  const channels = kind.channels.length
  let total = 0
  let covered = 0
  let low = Infinity
  let high = -Infinity
  for (const { part } of parts) {
    total += part.count
    covered += part.count / part.rateHz
    low = Math.min(low, part.rateHz)
    high = Math.max(high, part.rateHz)
  }
  const nominalHz = nominalRate(kind, total / covered)
  const times = new Float64Array(total)
  const samples = new Float32Array(total * channels)
  const gaps: StreamGap[] = []
  const periodMs = 1000 / nominalHz
  // A hole of more than three periods is a gap, as the viewer and the engine judge one.
  const gapMs = Math.max(3 * periodMs, 1100)
  let n = 0
  let overlapDropped = 0
  let invalidDropped = 0
  let outOfRange = 0
  let lastMs = -Infinity
  let largestOverlapMs = 0
  for (const { file, part } of parts) {
    outOfRange += part.outOfRange
    const stepMs = 1000 / part.rateHz
    if (n > 0) largestOverlapMs = Math.max(largestOverlapMs, lastMs + stepMs - part.startMs)
    if (part.startMs < lastMs - MAX_OVERLAP_MS)
      throw new FileFormatError(
        file.path,
        `rawData.${kind.field} starts ${((lastMs - part.startMs) / 1000).toFixed(3)} s before the previous file's samples end: time runs backwards (a copy of a file, or another recording of this device?)`
      )
    const firstNew = n
    for (let i = 0; i < part.count; i++) {
      const t = part.startMs + i * stepMs
      // Samples the previous file already holds (within half a period) are the same samples.
      if (t <= lastMs + stepMs / 2) {
        overlapDropped++
        continue
      }
      if (part.dropped?.[i]) {
        invalidDropped++
        continue
      }
      if (n === firstNew && n > 0 && t - lastMs > gapMs)
        gaps.push({
          startMs: lastMs,
          endMs: t,
          missing: Math.max(0, Math.round((t - lastMs) / periodMs) - 1)
        })
      times[n] = t
      for (let c = 0; c < channels; c++) samples[n * channels + c] = part.samples[i * channels + c]
      lastMs = t
      n++
    }
  }
  return {
    kind,
    name: kind.name,
    unit: EMBRACE_UNITS[kind.name],
    nominalHz,
    measuredHz: total / covered,
    fileRates: [low, high],
    times: times.subarray(0, n),
    samples: samples.subarray(0, n * channels),
    gaps,
    overlapDropped,
    invalidDropped,
    outOfRange,
    largestOverlapMs
  }
}

function sortedUnique(values: BigInt64Array): { values: BigInt64Array; duplicates: number } {
  const sorted = values.slice().sort()
  let n = 0
  for (let i = 0; i < sorted.length; i++) if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]
  return { values: sorted.subarray(0, n), duplicates: sorted.length - n }
}

function buildSession(files: EmbraceFile[], problems: string[]): JoinedSession {
  const streams: JoinedStream[] = []
  for (const kind of EMBRACE_STREAMS) {
    const parts = files.flatMap((file) =>
      file.sensors.filter((part) => part.kind === kind).map((part) => ({ file, part }))
    )
    if (parts.length > 0) streams.push(joinStream(kind, parts))
    // The joined copy is all that is kept: a week of files would otherwise be held twice.
    for (const { part } of parts) part.samples = new Float32Array(0)
  }
  let peakCount = 0
  for (const file of files) peakCount += file.peaksNs.length
  const allPeaks = new BigInt64Array(peakCount)
  let offset = 0
  for (const file of files) {
    allPeaks.set(file.peaksNs, offset)
    offset += file.peaksNs.length
  }
  // Peaks are merged over the files and sorted, never clipped to a file's BVP span: some precede it.
  const peaks = sortedUnique(allPeaks)
  const tags = [...new Set(files.flatMap((file) => file.tagsMs))].sort((a, b) => a - b)
  const pauses: JoinedSession['pauses'] = []
  let largestOverlapMs = 0
  for (const stream of streams) largestOverlapMs = Math.max(largestOverlapMs, stream.largestOverlapMs)
  let previousEnd: number | undefined
  for (const file of files) {
    const span = fileSpan(file)
    if (!span) continue
    // Sensors start a second or so apart, so only a pause longer than that is one.
    if (previousEnd !== undefined && span.startMs - previousEnd > 5000)
      pauses.push({ startMs: previousEnd, endMs: span.startMs })
    previousEnd = Math.max(previousEnd ?? -Infinity, span.endMs)
  }
  return {
    participant: files[0].participant,
    device: files[0].device,
    files,
    streams,
    peaksNs: peaks.values,
    duplicatePeaks: peaks.duplicates,
    tagsMs: tags,
    pauses,
    largestOverlapMs,
    problems
  }
}

/** Joins the files of one participant into sessions, device by device, in time order. */
export function joinFiles(files: EmbraceFile[], options: JoinOptions): JoinedSession[] {
  const byDevice = new Map<string, EmbraceFile[]>()
  for (const file of files) {
    const list = byDevice.get(file.device) ?? []
    list.push(file)
    byDevice.set(file.device, list)
  }
  const sessions: JoinedSession[] = []
  for (const device of [...byDevice.keys()].sort()) {
    const deviceFiles = byDevice
      .get(device)!
      .sort((a, b) => earliestTime(a) - earliestTime(b) || (a.name < b.name ? -1 : 1))
    const problems = fillMissingRates(deviceFiles)
    const groups: EmbraceFile[][] = []
    let group: EmbraceFile[] = []
    let groupEnd = -Infinity
    for (const file of deviceFiles) {
      const span = fileSpan(file)
      const startMs = span?.startMs ?? earliestTime(file)
      if (group.length > 0 && !options.oneSession && startMs - groupEnd > options.maxGapS * 1000) {
        groups.push(group)
        group = []
      }
      group.push(file)
      groupEnd = Math.max(groupEnd, span?.endMs ?? startMs)
    }
    if (group.length > 0) groups.push(group)
    for (const members of groups) {
      const lines = members.flatMap((file) => problems.get(file) ?? [])
      sessions.push(buildSession(members, lines))
    }
  }
  return sessions
}
