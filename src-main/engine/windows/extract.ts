import { ValidationError } from '../../errors'
import type { Session } from '../../ipc/contract'
import { WINDOW_FEATURES } from '../../ipc/contract/labels'
import { featuresOf, prepareFeatures } from '../../signal/window-features'
import { SignalStore, type SignalData } from '../../store/signal-store'
import type { StudyStore } from '../../store/study-store'
import { defaultSensors, paperChannels, type Sensor } from '../model/config'
import { sessionLabels } from './labels'
import { loadSessionStreams } from './session-streams'
import { coverage, gapTolerance, resampleByIndex, resampleToGrid } from './resample'
import type { DropCounts, InputShape, Window, WindowOptions, WindowSet } from './types'

export const defaultWindowOptions: WindowOptions = {
  preset: 'paper',
  target: 'arousal',
  labelSource: 'external',
  threshold: 2,
  windowMs: 5000,
  points: 20,
  sensors: defaultSensors
}

/** One stream's samples (ascending times) and nominal rate: what a window is cut from, stored or live. */
export interface LoadedStream {
  rateHz: number
  data: SignalData
}

/** First index with times[i] >= t. */
function lowerBound(times: Float64Array, t: number): number {
  let low = 0
  let high = times.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (times[middle] < t) low = middle + 1
    else high = middle
  }
  return low
}

interface Slice {
  times: Float64Array
  /** One array per channel. */
  channels: Float32Array[]
}

type SliceResult = Slice | 'missing' | 'gapped'

function sliceOf(stream: LoadedStream | undefined, startMs: number, endMs: number): SliceResult {
  if (!stream) return 'missing'
  const { times, samples, channelCount } = stream.data
  const from = lowerBound(times, startMs)
  const to = lowerBound(times, endMs)
  const windowTimes = times.subarray(from, to)
  const covered = coverage(windowTimes, startMs, endMs, gapTolerance(stream.rateHz))
  if (covered !== 'ok') return covered
  const channels = Array.from({ length: channelCount }, (_, c) => {
    const values = new Float32Array(to - from)
    for (let i = from; i < to; i++) values[i - from] = samples[i * channelCount + c]
    return values
  })
  return { times: windowTimes, channels }
}

function magnitude(channels: Float32Array[]): Float32Array {
  const out = new Float32Array(channels[0].length)
  for (let i = 0; i < out.length; i++) {
    let sum = 0
    for (const channel of channels) sum += channel[i] * channel[i]
    out[i] = Math.sqrt(sum)
  }
  return out
}

/** Paper input: [points, 5] row-major, channels hr, eda, temp, bvp, acc_mag, each resampled by index. */
function paperWindow(
  streams: Map<string, LoadedStream>,
  startMs: number,
  endMs: number,
  points: number
): Float32Array[] | 'missing' | 'gapped' {
  const columns: Float32Array[] = []
  for (const channel of paperChannels) {
    const slice = sliceOf(streams.get(channel === 'acc_mag' ? 'acc' : channel), startMs, endMs)
    if (typeof slice === 'string') return slice
    const values = channel === 'acc_mag' ? magnitude(slice.channels) : slice.channels[0]
    columns.push(resampleByIndex(values, points))
  }
  const out = new Float32Array(points * columns.length)
  for (let k = 0; k < points; k++)
    for (let c = 0; c < columns.length; c++) out[k * columns.length + c] = columns[c][k]
  return [out]
}

/** Native input: per sensor [rateHz * seconds, channels] on a regular grid from the window start. */
function nativeWindow(
  streams: Map<string, LoadedStream>,
  sensors: Sensor[],
  startMs: number,
  endMs: number
): Float32Array[] | 'missing' | 'gapped' {
  const inputs: Float32Array[] = []
  for (const sensor of sensors) {
    const slice = sliceOf(streams.get(sensor.name), startMs, endMs)
    if (typeof slice === 'string') return slice
    const steps = Math.round((sensor.rateHz * (endMs - startMs)) / 1000)
    const grid = Float64Array.from({ length: steps }, (_, k) => startMs + (k * 1000) / sensor.rateHz)
    const out = new Float32Array(steps * sensor.channels)
    for (let c = 0; c < sensor.channels; c++) {
      const column = resampleToGrid(slice.times, slice.channels[c], grid)
      for (let k = 0; k < steps; k++) out[k * sensor.channels + c] = column[k]
    }
    inputs.push(out)
  }
  return inputs
}

export function inputShapesOf(options: WindowOptions): { inputs: InputShape[]; channelNames: string[][] } {
  if (options.preset === 'paper') {
    return {
      inputs: [{ name: 'windows', steps: options.points, channels: paperChannels.length }],
      channelNames: [[...paperChannels]]
    }
  }
  return {
    inputs: options.sensors.map((sensor) => ({
      name: sensor.name,
      steps: Math.round((sensor.rateHz * options.windowMs) / 1000),
      channels: sensor.channels
    })),
    channelNames: options.sensors.map((sensor) =>
      sensor.channels === 1
        ? [sensor.name]
        : Array.from({ length: sensor.channels }, (_, c) => `${sensor.name}_${'xyz'[c] ?? c}`)
    )
  }
}

function checkStreamChannels(session: Session, sensors: Sensor[]): void {
  for (const sensor of sensors) {
    const stream = session.streams.find((candidate) => candidate.name === sensor.name)
    if (stream && stream.channels.length !== sensor.channels) {
      throw new ValidationError(
        `session ${session.id}: stream ${sensor.name} has ${stream.channels.length} channels, the model expects ${sensor.channels}`,
        'sensors'
      )
    }
  }
}

/** The streams a window of these options reads, by name. */
export function windowStreamNames(options: WindowOptions): string[] {
  return options.preset === 'paper'
    ? ['hr', 'eda', 'temp', 'bvp', 'acc']
    : options.sensors.map((sensor) => sensor.name)
}

/**
 * The model inputs of the window [endMs - windowMs, endMs) cut from the given streams, or why it has none.
 * Stored sessions and live buffers both come through here, so that a window is prepared one way only.
 */
export function windowInputsAt(
  streams: Map<string, LoadedStream>,
  endMs: number,
  options: WindowOptions
): Float32Array[] | 'missing' | 'gapped' {
  const startMs = endMs - options.windowMs
  return options.preset === 'paper'
    ? paperWindow(streams, startMs, endMs, options.points)
    : nativeWindow(streams, options.sensors, startMs, endMs)
}

/** Windows of one session at the given end times (no labels: for inference). */
export function sessionWindowsAt(
  study: StudyStore,
  sessionId: number,
  endTimes: number[],
  options: WindowOptions
): { endMs: number; inputs: Float32Array[] | 'missing' | 'gapped' }[] {
  const session = study.getSession(sessionId)
  if (options.preset === 'native') checkStreamChannels(session, options.sensors)
  const streams = loadSessionStreams(new SignalStore(study.db), session, windowStreamNames(options))
  return endTimes.map((endMs) => ({ endMs, inputs: windowInputsAt(streams, endMs, options) }))
}

/** The streams the physiological features read (signal/window-features.ts). */
const PHYSIOLOGY_STREAMS = ['eda', 'bvp', 'temp', 'acc'] as const

/**
 * The labelled windows of a study: one per rated report, ending at the report time (alignment offset
 * applied), with gapped or missing signal dropped and counted. Values are raw; normalization is per fold.
 *
 * Each window also carries its physiological features (Window.physiology), for the logistic baseline. They are
 * computed here, from the raw streams, rather than later from the model inputs: the inputs are already resampled
 * (the paper's 20 points per 5 s keep no heartbeat, no SCR shape), and the filters behind the features (a 0.05 Hz
 * tonic, a band-pass before beat detection) need the whole stream, not 5 s of it. Filtering once per session
 * and slicing per window is what the Labels table does too, so a window's features are the same on both.
 */
export function extractWindows(study: StudyStore, partial: Partial<WindowOptions> = {}): WindowSet {
  const options: WindowOptions = { ...defaultWindowOptions, ...partial }
  if (!(options.windowMs > 0)) throw new ValidationError('window length must be positive', 'windowMs')
  const sessions = options.sessionIds
    ? options.sessionIds.map((id) => study.getSession(id))
    : study.listSessions()
  const dropped: DropCounts = { missingSignal: 0, gapped: 0, unlabelled: 0 }
  const windows: Window[] = []
  const signals = new SignalStore(study.db)
  for (const session of sessions) {
    const labels = sessionLabels(study, session.id, options.labelSource, options.target, options.windowMs)
    const rated = labels.filter((label) => label[options.target] !== null)
    dropped.unlabelled += labels.length - rated.length
    if (rated.length === 0) continue
    if (options.preset === 'native') checkStreamChannels(session, options.sensors)
    const names = [...new Set([...windowStreamNames(options), ...PHYSIOLOGY_STREAMS])]
    const streams = loadSessionStreams(signals, session, names)
    const physiology = prepareFeatures({
      eda: streams.get('eda'),
      bvp: streams.get('bvp'),
      temp: streams.get('temp'),
      acc: streams.get('acc')
    })
    for (const label of rated) {
      const inputs = windowInputsAt(streams, label.endMs, options)
      if (inputs === 'missing') dropped.missingSignal++
      else if (inputs === 'gapped') dropped.gapped++
      else {
        const rating = label[options.target] as number
        const features = featuresOf(physiology, label.endMs - options.windowMs, label.endMs)
        windows.push({
          sessionId: session.id,
          participant: session.participantCode,
          endMs: label.endMs,
          rating,
          label: rating > options.threshold ? 1 : 0,
          inputs,
          physiology: WINDOW_FEATURES.map((f) => features[f.key])
        })
      }
    }
  }
  const classCounts = [0, 0]
  for (const window of windows) classCounts[window.label]++
  return {
    preset: options.preset,
    target: options.target,
    labelSource: options.labelSource,
    threshold: options.threshold,
    windowMs: options.windowMs,
    ...inputShapesOf(options),
    windows,
    dropped,
    classCounts
  }
}
