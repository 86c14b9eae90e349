import { resampleByIndex } from '../windows/resample'
import type { Random } from './random'
import type { InputShape, Window } from '../windows/types'

/**
 * Training-time augmentations, each a toggle (undefined or 0 = off). Values are in the units of the
 * (possibly normalized) inputs. They apply to the training split only, never to validation or test.
 */
export interface AugmentOptions {
  /** Gaussian noise N(0, jitter) on every value. The paper: 0.01. */
  jitter?: number
  /** Each channel multiplied by one factor from N(1, scaling). */
  scaling?: number
  /** Each channel multiplied by a smooth curve through 4 knots drawn from N(1, magnitudeWarp). */
  magnitudeWarp?: number
  /** Shift in time by up to this fraction of the window, the edge value filling the gap. */
  timeShift?: number
  /** Keep a random slice of this fraction of the window, stretched back to full length. */
  windowSlice?: number
  /** Augmented copies added per training window; default 1 (the paper's doubling). */
  copies?: number
}

export const paperAugmentation: AugmentOptions = { jitter: 0.01, copies: 1 }

export function augmentationEnabled(options: AugmentOptions | undefined): boolean {
  return Boolean(
    options &&
    (options.jitter || options.scaling || options.magnitudeWarp || options.timeShift || options.windowSlice)
  )
}

type Columns = Float32Array[]

function toColumns(values: Float32Array, shape: InputShape): Columns {
  return Array.from({ length: shape.channels }, (_, c) => {
    const column = new Float32Array(shape.steps)
    for (let k = 0; k < shape.steps; k++) column[k] = values[k * shape.channels + c]
    return column
  })
}

function fromColumns(columns: Columns, shape: InputShape): Float32Array {
  const out = new Float32Array(shape.steps * shape.channels)
  columns.forEach((column, c) => column.forEach((value, k) => (out[k * shape.channels + c] = value)))
  return out
}

/** A smooth curve over `steps` through `knots` random points (cosine interpolation). */
function smoothCurve(steps: number, sigma: number, random: Random, knots = 4): Float32Array {
  const points = Array.from({ length: knots + 2 }, () => 1 + sigma * random.normal())
  const curve = new Float32Array(steps)
  for (let k = 0; k < steps; k++) {
    const position = steps === 1 ? 0 : (k * (points.length - 1)) / (steps - 1)
    const low = Math.min(points.length - 2, Math.floor(position))
    const fraction = (1 - Math.cos(Math.PI * (position - low))) / 2
    curve[k] = points[low] * (1 - fraction) + points[low + 1] * fraction
  }
  return curve
}

function shift(column: Float32Array, by: number): Float32Array {
  const out = new Float32Array(column.length)
  for (let k = 0; k < column.length; k++) out[k] = column[Math.min(column.length - 1, Math.max(0, k - by))]
  return out
}

/** One augmented copy of one input ([steps, channels] row-major). */
export function augmentInput(
  values: Float32Array,
  shape: InputShape,
  options: AugmentOptions,
  random: Random
): Float32Array {
  let columns = toColumns(values, shape)
  if (options.windowSlice && options.windowSlice < 1) {
    const length = Math.max(2, Math.round(shape.steps * options.windowSlice))
    const start = random.integer(shape.steps - length + 1)
    columns = columns.map((column) => resampleByIndex(column.subarray(start, start + length), shape.steps))
  }
  if (options.timeShift) {
    const most = Math.round(shape.steps * options.timeShift)
    const by = random.integer(2 * most + 1) - most
    columns = columns.map((column) => shift(column, by))
  }
  if (options.magnitudeWarp) {
    const sigma = options.magnitudeWarp
    columns = columns.map((column) => {
      const curve = smoothCurve(shape.steps, sigma, random)
      return column.map((value, k) => value * curve[k])
    })
  }
  if (options.scaling) {
    const sigma = options.scaling
    columns = columns.map((column) => {
      const factor = 1 + sigma * random.normal()
      return column.map((value) => value * factor)
    })
  }
  if (options.jitter) {
    const sigma = options.jitter
    columns = columns.map((column) => column.map((value) => value + sigma * random.normal()))
  }
  return fromColumns(columns, shape)
}

/** The training windows followed by `copies` augmented copies of each (labels kept). */
export function augmentWindows(
  windows: Window[],
  shapes: InputShape[],
  options: AugmentOptions | undefined,
  random: Random
): Window[] {
  if (!options || !augmentationEnabled(options)) return windows
  const copies = options.copies ?? 1
  const out = [...windows]
  for (let copy = 0; copy < copies; copy++) {
    for (const window of windows) {
      out.push({
        ...window,
        inputs: window.inputs.map((values, input) => augmentInput(values, shapes[input], options, random))
      })
    }
  }
  return out
}
