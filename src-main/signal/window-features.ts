import { ValidationError } from '../errors'
import { WINDOW_FEATURES, type WindowFeatures } from '../ipc/contract/labels'
import type { SignalData } from '../store/signal-store'
import { lowerBound } from './downsample'
import { gapTolerance } from './gaps'
import { accMagnitude, motionFlags } from './dsp/acc'
import { edaClean, edaPeaks, edaPhasic } from './dsp/eda'
import { hrvTime } from './dsp/hrv'
import { ppgClean, ppgFindPeaks } from './dsp/ppg'
import { slopePerMinute } from './dsp/slope'

/*
 * Physiological features of label windows. Every filter runs once per stream (per contiguous stretch of it),
 * and a window only slices what was derived: filtering each 5-s window on its own would be dominated by the
 * filters' edge padding, and a 0.05 Hz tonic cannot be estimated from 5 s anyway.
 *
 * A feature is null, never a guess, when:
 * - its stream is absent, has a rate too low for its filter (BVP at 16 Hz or less) or too few samples for
 *   the filter's padding (the table's notes say which);
 * - the window is not covered by one contiguous stretch of the stream: an edge further than the gap tolerance
 *   from the first/last sample, a hole inside, or a non-finite sample inside (stretches are split at holes and
 *   at NaN/Inf samples, and each is filtered on its own, so one bad sample costs only the windows around it);
 * - HR needs MIN_HR_INTERVALS NN intervals inside the window, MeanNN/SDNN/RMSSD MIN_HRV_INTERVALS, pNN50
 *   MIN_PNN50_DIFFERENCES successive differences (a percentage of fewer is too coarse to read);
 * - the SCR amplitude has no value in a window without SCRs (the count is then 0, a value).
 */

/** One stream as stored: epoch-ms times (ascending) and channel-interleaved samples, at a nominal rate. */
export interface FeatureStream {
  rateHz: number
  data: SignalData
}

export type FeatureStreams = Partial<Record<'eda' | 'bvp' | 'temp' | 'acc', FeatureStream>>

export const MIN_HR_INTERVALS = 2
export const MIN_HRV_INTERVALS = 3
export const MIN_PNN50_DIFFERENCES = 20
/** Beat-to-beat intervals outside this range (200 to 30 bpm) are a missed or a spurious beat, not NN. */
export const NN_RANGE_MS: readonly [number, number] = [300, 2000]

interface Stretches {
  times: Float64Array
  /** Stretch of each sample, or -1 where the sample is not finite or its stretch could not be used. */
  stretch: Int32Array
  toleranceMs: number
}

interface EdaDerived extends Stretches {
  rateHz: number
  tonic: Float64Array
  /** SCR peak sample indices, ascending, with their amplitudes (phasic at peak - at onset). */
  scrPeaks: number[]
  scrAmplitudes: number[]
}

interface BvpDerived extends Stretches {
  rateHz: number
  beats: number[]
}

interface TempDerived extends Stretches {
  rateHz: number
  values: Float64Array
}

interface AccDerived extends Stretches {
  magnitude: Float64Array
  motion: Uint8Array
}

/** What the filters made of a session's streams once; windows are read from it with featuresOf. */
export interface PreparedFeatures {
  eda: EdaDerived | null
  bvp: BvpDerived | null
  temp: TempDerived | null
  acc: AccDerived | null
  /** Why a stream gives no features, or gives them for part of its length only. */
  notes: string[]
}

function channelOf(data: SignalData, channel: number): Float64Array {
  const n = data.times.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = data.samples[i * data.channelCount + channel]
  return out
}

/** Contiguous runs of finite samples with no hole longer than the tolerance, as [from, to) index pairs. */
function stretchesOf(times: Float64Array, channels: Float64Array[], toleranceMs: number): [number, number][] {
  const runs: [number, number][] = []
  let start = -1
  const finite = (i: number): boolean => channels.every((c) => Number.isFinite(c[i]))
  for (let i = 0; i <= times.length; i++) {
    const ok = i < times.length && finite(i)
    const broken = ok && start >= 0 && times[i] - times[i - 1] > toleranceMs
    if (start >= 0 && (!ok || broken)) {
      runs.push([start, i])
      start = -1
    }
    if (ok && start < 0) start = i
  }
  return runs
}

/**
 * Runs `derive` over every stretch of a stream and marks the samples of the stretches it could use. A stretch
 * whose derivation throws (too short for the filter's padding) is left out with a note.
 */
function deriveStretches(
  name: string,
  stream: FeatureStream,
  channels: Float64Array[],
  notes: string[],
  derive: (from: number, to: number) => void
): Stretches {
  const times = stream.data.times
  const toleranceMs = gapTolerance(stream.rateHz)
  const stretch = new Int32Array(times.length).fill(-1)
  let skipped = 0
  let skippedSamples = 0
  let firstReason = ''
  const runs = stretchesOf(times, channels, toleranceMs)
  const nonFinite = times.length - runs.reduce((sum, [from, to]) => sum + to - from, 0)
  if (nonFinite > 0) notes.push(`${name}: ${nonFinite} non-finite samples left out of the features`)
  runs.forEach(([from, to], index) => {
    try {
      derive(from, to)
      stretch.fill(index, from, to)
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      skipped++
      skippedSamples += to - from
      firstReason ||= error.message
    }
  })
  if (skipped > 0)
    notes.push(
      `${name}: ${skipped} of ${runs.length} stretches (${skippedSamples} samples) too short for its filters: ${firstReason}`
    )
  return { times, stretch, toleranceMs }
}

function prepareEda(stream: FeatureStream, notes: string[]): EdaDerived | null {
  const raw = channelOf(stream.data, 0)
  const tonic = new Float64Array(raw.length).fill(NaN)
  const scrPeaks: number[] = []
  const scrAmplitudes: number[] = []
  const stretches = deriveStretches('eda', stream, [raw], notes, (from, to) => {
    const { cleaned } = edaClean(raw.subarray(from, to), stream.rateHz)
    const split = edaPhasic(cleaned, stream.rateHz, 'highpass')
    tonic.set(split.tonic, from)
    // NeuroKit2's relative amplitude threshold is taken against the largest SCR of the stretch.
    const found = edaPeaks(split.phasic)
    found.peaks.forEach((peak, i) => {
      scrPeaks.push(from + peak)
      scrAmplitudes.push(found.amplitudes[i])
    })
  })
  return { ...stretches, rateHz: stream.rateHz, tonic, scrPeaks, scrAmplitudes }
}

function prepareBvp(stream: FeatureStream, notes: string[]): BvpDerived | null {
  if (stream.rateHz <= 16) {
    notes.push(`bvp at ${stream.rateHz} Hz: the 0.5-8 Hz band-pass needs more than 16 Hz, no HR or HRV`)
    return null
  }
  const raw = channelOf(stream.data, 0)
  const beats: number[] = []
  const stretches = deriveStretches('bvp', stream, [raw], notes, (from, to) => {
    const cleaned = ppgClean(raw.subarray(from, to), stream.rateHz)
    for (const beat of ppgFindPeaks(cleaned, stream.rateHz)) beats.push(from + beat)
  })
  return { ...stretches, rateHz: stream.rateHz, beats }
}

function prepareTemp(stream: FeatureStream, notes: string[]): TempDerived {
  const values = channelOf(stream.data, 0)
  return { ...deriveStretches('temp', stream, [values], notes, () => {}), rateHz: stream.rateHz, values }
}

function prepareAcc(stream: FeatureStream, notes: string[]): AccDerived | null {
  if (stream.data.channelCount < 3) {
    notes.push(`acc has ${stream.data.channelCount} axes: magnitude and motion need 3`)
    return null
  }
  const axes = [0, 1, 2].map((c) => channelOf(stream.data, c))
  const magnitude = new Float64Array(axes[0].length).fill(NaN)
  const motion = new Uint8Array(axes[0].length)
  const stretches = deriveStretches('acc', stream, axes, notes, (from, to) => {
    const m = accMagnitude(
      ...(axes.map((a) => a.subarray(from, to)) as [Float64Array, Float64Array, Float64Array])
    )
    magnitude.set(m, from)
    motion.set(motionFlags(m, stream.rateHz), from)
  })
  return { ...stretches, magnitude, motion }
}

/** Runs every stream's filters once. Streams absent from `streams` give null features and a note. */
export function prepareFeatures(streams: FeatureStreams): PreparedFeatures {
  const notes: string[] = []
  const present = <T>(name: keyof FeatureStreams, make: (s: FeatureStream) => T): T | null => {
    const stream = streams[name]
    if (!stream || stream.data.times.length === 0) {
      notes.push(`${name}: no samples in this session`)
      return null
    }
    if (!(stream.rateHz > 0)) {
      notes.push(`${name}: an event stream (no nominal rate), no features`)
      return null
    }
    return make(stream)
  }
  return {
    eda: present('eda', (s) => prepareEda(s, notes)),
    bvp: present('bvp', (s) => prepareBvp(s, notes)),
    temp: present('temp', (s) => prepareTemp(s, notes)),
    acc: present('acc', (s) => prepareAcc(s, notes)),
    notes
  }
}

/** The window's samples [from, to) when one usable stretch covers [startMs, endMs) edge to edge, else null. */
function covered(derived: Stretches, startMs: number, endMs: number): [number, number] | null {
  const { times, stretch, toleranceMs } = derived
  const from = lowerBound(times, startMs)
  const to = lowerBound(times, endMs)
  if (to - from < 2) return null
  if (stretch[from] < 0 || stretch[from] !== stretch[to - 1]) return null
  if (times[from] - startMs > toleranceMs || endMs - times[to - 1] > toleranceMs) return null
  return [from, to]
}

function mean(values: ArrayLike<number>, from = 0, to = values.length): number {
  let sum = 0
  for (let i = from; i < to; i++) sum += values[i]
  return sum / (to - from)
}

/** Indices k with from <= list[k] < to, for an ascending list. */
function rangeOf(list: readonly number[], from: number, to: number): [number, number] {
  return [lowerBound(list, from), lowerBound(list, to)]
}

export function emptyFeatures(): WindowFeatures {
  return Object.fromEntries(WINDOW_FEATURES.map((f) => [f.key, null])) as WindowFeatures
}

/** The features of the window [startMs, endMs) from what prepareFeatures derived. */
export function featuresOf(prepared: PreparedFeatures, startMs: number, endMs: number): WindowFeatures {
  const features = emptyFeatures()
  const { eda, bvp, temp, acc } = prepared
  const edaRange = eda && covered(eda, startMs, endMs)
  if (eda && edaRange) {
    const [from, to] = edaRange
    features.edaTonicMean = mean(eda.tonic, from, to)
    features.edaTonicSlope = slopePerMinute(eda.tonic, eda.rateHz, from, to)
    const [first, end] = rangeOf(eda.scrPeaks, from, to)
    features.scrCount = end - first
    if (end > first) features.scrAmplitude = mean(eda.scrAmplitudes, first, end)
  }
  const bvpRange = bvp && covered(bvp, startMs, endMs)
  if (bvp && bvpRange) {
    const [first, end] = rangeOf(bvp.beats, bvpRange[0], bvpRange[1])
    const nn: number[] = []
    for (let k = first + 1; k < end; k++) {
      const ms = ((bvp.beats[k] - bvp.beats[k - 1]) * 1000) / bvp.rateHz
      if (ms >= NN_RANGE_MS[0] && ms <= NN_RANGE_MS[1]) nn.push(ms)
    }
    if (nn.length >= MIN_HR_INTERVALS) features.hrMean = mean(nn.map((ms) => 60000 / ms))
    if (nn.length >= MIN_HRV_INTERVALS) {
      const hrv = hrvTime(nn)
      features.meanNN = hrv.meanNN
      features.sdnn = hrv.sdnn
      features.rmssd = hrv.rmssd
      if (nn.length - 1 >= MIN_PNN50_DIFFERENCES) features.pnn50 = hrv.pnn50
    }
  }
  const tempRange = temp && covered(temp, startMs, endMs)
  if (temp && tempRange) {
    features.tempMean = mean(temp.values, tempRange[0], tempRange[1])
    features.tempSlope = slopePerMinute(temp.values, temp.rateHz, tempRange[0], tempRange[1])
  }
  const accRange = acc && covered(acc, startMs, endMs)
  if (acc && accRange) {
    const [from, to] = accRange
    const level = mean(acc.magnitude, from, to)
    let energy = 0
    let moving = 0
    for (let i = from; i < to; i++) {
      energy += (acc.magnitude[i] - level) ** 2
      moving += acc.motion[i]
    }
    features.accMagnitude = level
    // The magnitude's variance about the window's mean: the movement's power, gravity's constant 1 g left out.
    features.accEnergy = energy / (to - from)
    features.motionFraction = moving / (to - from)
  }
  return features
}

/** Features of many windows of one session: the filters run once, then each window is a slice. */
export function windowFeatures(
  streams: FeatureStreams,
  windows: readonly { startMs: number; endMs: number }[]
): { features: WindowFeatures[]; notes: string[] } {
  const prepared = prepareFeatures(streams)
  return { features: windows.map((w) => featuresOf(prepared, w.startMs, w.endMs)), notes: prepared.notes }
}
