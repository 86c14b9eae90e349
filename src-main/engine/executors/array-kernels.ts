/**
 * The loops ArrayOps' instructions run (executors/array-ops.ts), over Float64Array buffers. Each loop is
 * written for the typed arrays alone and takes its operation as a code that a switch outside the loop
 * selects, so that every inner loop is one monomorphic body V8 compiles once.
 */

export const sizeOf = (shape: number[]): number => shape.reduce((product, size) => product * size, 1)

/** Row-major strides of a contiguous tensor. */
export function stridesOf(shape: number[]): number[] {
  const strides = new Array<number>(shape.length)
  for (let axis = shape.length - 1, stride = 1; axis >= 0; axis--) {
    strides[axis] = stride
    stride *= shape[axis]
  }
  return strides
}

/**
 * Strides (`strides`, per axis of `shape`) re-stated per axis of `target`, which `shape` broadcasts to (NumPy
 * broadcasting: 0 on an axis where the operand has size 1 or no axis).
 */
export function alignStrides(shape: number[], strides: number[], target: number[]): number[] {
  const offset = target.length - shape.length
  return target.map((_, axis) => {
    const at = axis - offset
    return at < 0 || shape[at] === 1 ? 0 : strides[at]
  })
}

export const broadcastStrides = (shape: number[], target: number[]): number[] =>
  alignStrides(shape, stridesOf(shape), target)

/**
 * Iterates `dims` with one stride per operand per axis, as runs along the innermost axis: unit axes dropped,
 * neighbouring axes merged where every operand steps through them as one, so that a same-shape or a
 * trailing-axis broadcast is one run or one run per row.
 */
export class Runs {
  /** Runs in all; each is `length` elements long. */
  readonly count: number
  readonly length: number
  /** Per operand: the step within a run. */
  readonly step: Int32Array
  /** Per operand: the offset of the current run's first element. */
  readonly at: Int32Array
  private readonly dims: number[]
  private readonly strides: number[][]
  private readonly counters: Int32Array

  constructor(dims: number[], strides: number[][]) {
    const kept: number[] = []
    const merged: number[][] = strides.map(() => [])
    dims.forEach((size, axis) => {
      if (size === 1) return
      const last = kept.length - 1
      if (last >= 0 && strides.every((own, i) => merged[i][last] === own[axis] * size)) {
        kept[last] *= size
        strides.forEach((own, i) => (merged[i][last] = own[axis]))
      } else {
        kept.push(size)
        strides.forEach((own, i) => merged[i].push(own[axis]))
      }
    })
    const rank = kept.length
    this.length = rank ? kept[rank - 1] : 1
    this.step = Int32Array.from(merged.map((own) => (rank ? own[rank - 1] : 0)))
    this.dims = kept.slice(0, -1)
    this.strides = merged.map((own) => own.slice(0, -1))
    this.count = sizeOf(this.dims)
    this.at = new Int32Array(strides.length)
    this.counters = new Int32Array(this.dims.length)
  }

  /** Starts over at the given offsets of the first two operands (the others at 0). */
  start(first = 0, second = 0): void {
    // The counters are back at zero: every walk runs to its end, and its last next() wraps every axis.
    const at = this.at
    at[0] = first
    if (at.length > 1) at[1] = second
    for (let i = 2; i < at.length; i++) at[i] = 0
  }

  /** Moves to the next run. */
  next(): void {
    const { dims, strides, counters, at } = this
    for (let axis = dims.length - 1; axis >= 0; axis--) {
      counters[axis]++
      for (let i = 0; i < at.length; i++) at[i] += strides[i][axis]
      if (counters[axis] < dims[axis]) return
      for (let i = 0; i < at.length; i++) at[i] -= strides[i][axis] * dims[axis]
      counters[axis] = 0
    }
  }
}

/** A strided copy from `source` (strides per axis of `dims`, starting at `from`) to `target` (likewise). */
export function copyStrided(
  runs: Runs,
  source: Float64Array,
  from: number,
  target: Float64Array,
  to: number
): void {
  runs.start(from, to)
  const { length, step, at } = runs
  const [sourceStep, targetStep] = [step[0], step[1]]
  for (let run = 0; run < runs.count; run++) {
    let s = at[0]
    let t = at[1]
    if (sourceStep === 1 && targetStep === 1) for (let i = 0; i < length; i++) target[t + i] = source[s + i]
    else for (let i = 0; i < length; i++, s += sourceStep, t += targetStep) target[t] = source[s]
    runs.next()
  }
}

export const Unary = {
  sqrt: 0,
  neg: 1,
  sigmoid: 2,
  tanh: 3,
  relu: 4,
  sign: 5
} as const

/** The loop out = op(x) over `runs` (operands x, out), x read from `from`. */
export type UnaryKernel = (runs: Runs, x: Float64Array, from: number, out: Float64Array) => () => void

/** Each unary operation's loop, by its code, each its own function (see binaryKernels). */
export const unaryKernels: UnaryKernel[] = [
  (runs, x, from, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(from), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], k = at[1], end = k + length; k < end; k++, i += step[0]) out[k] = Math.sqrt(x[i])
  },
  (runs, x, from, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(from), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], k = at[1], end = k + length; k < end; k++, i += step[0]) out[k] = -x[i]
  },
  (runs, x, from, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(from), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], k = at[1], end = k + length; k < end; k++, i += step[0])
        out[k] = 1 / (1 + Math.exp(-x[i]))
  },
  (runs, x, from, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(from), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], k = at[1], end = k + length; k < end; k++, i += step[0]) out[k] = Math.tanh(x[i])
  },
  (runs, x, from, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(from), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], k = at[1], end = k + length; k < end; k++, i += step[0]) out[k] = Math.max(0, x[i])
  },
  (runs, x, from, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(from), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], k = at[1], end = k + length; k < end; k++, i += step[0]) out[k] = Math.sign(x[i])
  }
]

export const Binary = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  equal: 4,
  /** dy * y * (1 - y): a = y, b = dy. */
  sigmoidGrad: 5,
  /** dy * (1 - y²): a = y, b = dy. */
  tanhGrad: 6,
  /** dy where y > 0: a = dy, b = y. */
  reluGrad: 7,
  /** max(0, a + b): a ReLU of a sum, recorded into the sum. */
  addRelu: 8
} as const

/** The loop out = a (op) b over `runs` (operands a, b, out), a and b read from their own offsets. */
export type BinaryKernel = (
  runs: Runs,
  a: Float64Array,
  aFrom: number,
  b: Float64Array,
  bFrom: number,
  out: Float64Array
) => () => void

/**
 * Each binary operation's loop, by its code: each written as its own function, which V8 compiles on its own.
 * One shared loop function (a switch inside, or a call through a table) ran several times slower.
 */
export const binaryKernels: BinaryKernel[] = [
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = a[i] + b[j]
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = a[i] - b[j]
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = a[i] * b[j]
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = a[i] / b[j]
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = a[i] === b[j] ? 1 : 0
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = b[j] * a[i] * (1 - a[i])
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = b[j] * (1 - a[i] * a[i])
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1])
        out[k] = b[j] > 0 ? a[i] : 0
  },
  (runs, a, aFrom, b, bFrom, out) => () => {
    const { length, step, at } = runs
    for (let run = (runs.start(aFrom, bFrom), 0); run < runs.count; run++, runs.next())
      for (let i = at[0], j = at[1], k = at[2], end = k + length; k < end; k++, i += step[0], j += step[1]) {
        out[k] = Math.max(0, a[i] + b[j])
      }
  }
]

/** out = condition != 0 ? t : e over `runs` (operands condition, t, e, out), each input from its offset. */
export function selectLoop(
  runs: Runs,
  [condition, t, e]: Float64Array[],
  offsets: number[],
  out: Float64Array
): void {
  runs.start(offsets[0], offsets[1])
  runs.at[2] = offsets[2]
  const { length, step, at } = runs
  for (let run = 0; run < runs.count; run++) {
    let c = at[0]
    let i = at[1]
    let j = at[2]
    let k = at[3]
    for (let n = 0; n < length; n++, c += step[0], i += step[1], j += step[2], k += step[3])
      out[k] = condition[c] !== 0 ? t[i] : e[j]
    runs.next()
  }
}

/** The loop of a sum, mean or max of x viewed as [outer, n, inner] over n, into out [outer, inner]. */
export type ReduceKernel = (
  x: Float64Array,
  out: Float64Array,
  outer: number,
  n: number,
  inner: number
) => () => void

/** Sums of x [outer, n, inner] over n (a row of n where inner is 1). */
function sumsOf(x: Float64Array, out: Float64Array, outer: number, n: number, inner: number): void {
  if (inner === 1) {
    for (let o = 0, at = 0; o < outer; o++, at += n) {
      let sum = 0
      for (let r = 0; r < n; r++) sum += x[at + r]
      out[o] = sum
    }
    return
  }
  for (let o = 0; o < outer; o++) {
    const target = o * inner
    for (let i = 0; i < inner; i++) out[target + i] = 0
    for (let r = 0, at = o * n * inner; r < n; r++, at += inner)
      for (let i = 0; i < inner; i++) out[target + i] += x[at + i]
  }
}

/**
 * Each reduction's loop, its own function (see binaryKernels). Maxima (and ReLUs) with Math.max, which
 * compiles without a branch: on data of either sign a branch is mispredicted about every other value.
 */
export const reduceKernels: Record<'Mean' | 'Max' | 'Sum', ReduceKernel> = {
  Sum: (x, out, outer, n, inner) => () => sumsOf(x, out, outer, n, inner),
  Mean: (x, out, outer, n, inner) => () => {
    sumsOf(x, out, outer, n, inner)
    for (let i = 0; i < out.length; i++) out[i] /= n
  },
  Max: (x, out, outer, n, inner) => () => {
    if (inner === 1) {
      for (let o = 0, at = 0; o < outer; o++, at += n) {
        let largest = x[at]
        for (let r = 1; r < n; r++) largest = Math.max(largest, x[at + r])
        out[o] = largest
      }
      return
    }
    for (let o = 0; o < outer; o++) {
      const target = o * inner
      const source = o * n * inner
      for (let i = 0; i < inner; i++) out[target + i] = x[source + i]
      for (let r = 1, at = source + inner; r < n; r++, at += inner)
        for (let i = 0; i < inner; i++) out[target + i] = Math.max(out[target + i], x[at + i])
    }
  }
}

/** Softmax over each row of `width` values. */
export function softmaxLoop(x: Float64Array, out: Float64Array, width: number): void {
  for (let row = 0; row < x.length; row += width) {
    let largest = -Infinity
    for (let i = row; i < row + width; i++) if (x[i] > largest) largest = x[i]
    let sum = 0
    for (let i = row; i < row + width; i++) {
      out[i] = Math.exp(x[i] - largest)
      sum += out[i]
    }
    for (let i = row; i < row + width; i++) out[i] /= sum
  }
}

/**
 * out [m, n] = a [m, k] x b, with b given transposed (bt [n, k]) so that every product is a contiguous dot;
 * four columns at a time share each loaded value of a, and their four sums run independently.
 */
export function matMulLoop(
  a: Float64Array,
  aAt: number,
  bt: Float64Array,
  btAt: number,
  out: Float64Array,
  outAt: number,
  m: number,
  k: number,
  n: number
): void {
  for (let i = 0; i < m; i++) {
    const row = aAt + i * k
    const target = outAt + i * n
    let j = 0
    for (; j + 3 < n; j += 4) {
      const w0 = btAt + j * k
      const w1 = w0 + k
      const w2 = w1 + k
      const w3 = w2 + k
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      for (let c = 0; c < k; c++) {
        const value = a[row + c]
        s0 += value * bt[w0 + c]
        s1 += value * bt[w1 + c]
        s2 += value * bt[w2 + c]
        s3 += value * bt[w3 + c]
      }
      out[target + j] = s0
      out[target + j + 1] = s1
      out[target + j + 2] = s2
      out[target + j + 3] = s3
    }
    for (; j < n; j++) {
      const w = btAt + j * k
      let s = 0
      for (let c = 0; c < k; c++) s += a[row + c] * bt[w + c]
      out[target + j] = s
    }
  }
}

/** [batch][rows][columns] -> [batch][columns][rows]. */
export function transposeLast(x: Float64Array, out: Float64Array, rows: number, columns: number): void {
  const block = rows * columns
  for (let at = 0; at < x.length; at += block)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) out[at + c * rows + r] = x[at + r * columns + c]
}

/** Filters computed together by the convolution loop: each loaded input value serves this many products. */
export const filterBlock = 4

/** A 2-D convolution's shape: x [N, H, W, G*C] NHWC, filter [kh, kw, C, G*F], stride 1. */
export interface Conv2dShape {
  batch: number
  height: number
  width: number
  groups: number
  inputs: number
  outputs: number
  kernelHeight: number
  kernelWidth: number
  /** top, left, bottom, right */
  pads: [number, number, number, number]
  dilations: [number, number]
}

/**
 * A grouped, dilated convolution x [N, H, W, G*C] -> [N, H', W', G*F], with its zero-padded copy of the input
 * ([N, H + top + bottom, W + left + right + 1, G*C]: one spare column) and its packed filter, made once.
 */
export class ConvolutionLoop {
  private readonly padded: Float64Array
  private readonly packed: Float64Array
  /** Where each tap reads, from an output position's first input value. */
  private readonly reach: Int32Array
  private readonly paddedHeight: number
  private readonly paddedWidth: number
  private readonly channels: number

  /** The padded copy's size; `layout` is the same for convolutions whose copies have the same zero borders. */
  static padding({ batch, height, width, groups, inputs, pads }: Conv2dShape) {
    const shape = [batch, height + pads[0] + pads[2], width + pads[1] + pads[3] + 1, groups * inputs]
    return { size: sizeOf(shape), layout: `${shape.join('x')}:${pads.join(',')}` }
  }

  /** padded: zeros of ConvolutionLoop.padding(shape).size, which only loops of the same layout may share. */
  constructor(
    private readonly shape: Conv2dShape,
    padded: Float64Array
  ) {
    const { height, width, groups, inputs, outputs, kernelHeight, kernelWidth, pads, dilations } = shape
    this.paddedHeight = height + pads[0] + pads[2]
    this.paddedWidth = width + pads[1] + pads[3] + 1
    this.channels = groups * inputs
    this.padded = padded
    this.packed = new Float64Array(kernelHeight * kernelWidth * inputs * groups * outputs)
    this.reach = new Int32Array(kernelHeight * kernelWidth)
    for (let i = 0; i < kernelHeight; i++)
      for (let j = 0; j < kernelWidth; j++)
        this.reach[i * kernelWidth + j] =
          (i * dilations[0] * this.paddedWidth + j * dilations[1]) * this.channels
  }

  /**
   * The filter [kh, kw, C, G*F] laid out for the loop: per group, blocks of 4 filters interleaved tap by tap
   * ([kh*kw*C][4]), then the leftover filters one after another ([kh*kw*C]).
   */
  pack(filter: Float64Array): void {
    const { groups, inputs, outputs, kernelHeight, kernelWidth } = this.shape
    const rows = kernelHeight * kernelWidth * inputs
    const width = groups * outputs
    const blocked = outputs - (outputs % filterBlock)
    const packed = this.packed
    let next = 0
    for (let g = 0; g < groups; g++) {
      for (let f = 0; f < blocked; f += filterBlock)
        for (let r = 0; r < rows; r++)
          for (let i = 0; i < filterBlock; i++) packed[next++] = filter[r * width + g * outputs + f + i]
      for (let f = blocked; f < outputs; f++)
        for (let r = 0; r < rows; r++) packed[next++] = filter[r * width + g * outputs + f]
    }
  }

  /**
   * Convolves x by the packed filter into out, plus a bias [G*F] and then a ReLU where given (the bias add
   * and ReLU that follow a convolution, in its loop). A convolution along one axis (a filter of height 1, no
   * padding of the height) reads x itself at the positions whose taps all fall inside it, in pairs, and the
   * padded copy only at the others, so that only x's ends are copied.
   */
  run(x: Float64Array, bias: Float64Array | null, relu: boolean, out: Float64Array): void {
    const { batch, height, width, groups, inputs, kernelHeight, kernelWidth, pads, dilations } = this.shape
    const { padded, paddedHeight, paddedWidth, channels } = this
    const outHeight = paddedHeight - (kernelHeight - 1) * dilations[0]
    const outWidth = paddedWidth - 1 - (kernelWidth - 1) * dilations[1]
    const alongWidth = kernelHeight === 1 && pads[0] === 0 && pads[2] === 0
    // The positions read from x directly: every tap inside x, an even count of them.
    const first = alongWidth ? Math.min(pads[1], outWidth) : outWidth
    const inside = Math.max(0, outWidth - pads[3] - first)
    const last = first + inside - (inside % 2)
    // The ends of x the other positions read (all of it where none is read directly).
    const headEnd = last > first ? Math.min(width, (kernelWidth - 1) * dilations[1]) : width
    const tailStart = last > first ? Math.max(headEnd, last - pads[1]) : width
    const row = width * channels
    for (let n = 0; n < batch; n++)
      for (let h = 0; h < height; h++) {
        const source = (n * height + h) * row
        const target = ((n * paddedHeight + h + pads[0]) * paddedWidth + pads[1]) * channels
        for (let i = 0; i < headEnd * channels; i++) padded[target + i] = x[source + i]
        for (let i = tailStart * channels; i < row; i++) padded[target + i] = x[source + i]
      }
    for (let n = 0; n < batch; n++)
      for (let oh = 0; oh < outHeight; oh++)
        for (let g = 0; g < groups; g++) {
          const fromPadded = (n * paddedHeight + oh) * paddedWidth * channels + g * inputs
          const targetRow = (n * outHeight + oh) * outWidth
          this.positions(padded, fromPadded, 0, first, g, targetRow, bias, relu, out)
          if (last > first) {
            const fromX = ((n * height + oh) * width - pads[1]) * channels + g * inputs
            this.positions(x, fromX, first, last, g, targetRow, bias, relu, out)
          }
          this.positions(padded, fromPadded, last, outWidth, g, targetRow, bias, relu, out)
        }
  }

  /**
   * Output positions [from, to) of one row and group, position p reading source from origin + p*C. Two
   * positions and four filters at a time: each loaded value serves eight products with eight independent
   * sums, which keeps the loop within the CPU's registers. An odd last position also computes the one after
   * it (from the padded copy's spare zero column, or from x where [from, to) is even) and drops it.
   */
  private positions(
    source: Float64Array,
    origin: number,
    from: number,
    to: number,
    g: number,
    targetRow: number,
    bias: Float64Array | null,
    relu: boolean,
    out: Float64Array
  ): void {
    const { groups, inputs, outputs, kernelHeight, kernelWidth } = this.shape
    const { packed, reach, channels } = this
    const floor = relu ? 0 : -Infinity
    const outChannels = groups * outputs
    const rows = kernelHeight * kernelWidth * inputs
    const blocked = outputs - (outputs % filterBlock)
    const taps = reach.length
    const groupFilter = g * rows * outputs
    for (let ow = from; ow < to; ow += 2) {
      const pair = ow + 1 < to
      const target = (targetRow + ow) * outChannels + g * outputs
      const at = origin + ow * channels
      for (let f = 0; f < blocked; f += filterBlock) {
        let a0 = 0
        let a1 = 0
        let a2 = 0
        let a3 = 0
        let b0 = 0
        let b1 = 0
        let b2 = 0
        let b3 = 0
        let w = groupFilter + f * rows
        for (let tap = 0; tap < taps; tap++) {
          const start = at + reach[tap]
          const end = start + inputs
          for (let c = start; c < end; c++, w += filterBlock) {
            const u = source[c]
            const v = source[c + channels]
            const k0 = packed[w]
            const k1 = packed[w + 1]
            const k2 = packed[w + 2]
            const k3 = packed[w + 3]
            a0 += u * k0
            a1 += u * k1
            a2 += u * k2
            a3 += u * k3
            b0 += v * k0
            b1 += v * k1
            b2 += v * k2
            b3 += v * k3
          }
        }
        const channel = g * outputs + f
        const c0 = bias ? bias[channel] : 0
        const c1 = bias ? bias[channel + 1] : 0
        const c2 = bias ? bias[channel + 2] : 0
        const c3 = bias ? bias[channel + 3] : 0
        out[target + f] = Math.max(floor, c0 + a0)
        out[target + f + 1] = Math.max(floor, c1 + a1)
        out[target + f + 2] = Math.max(floor, c2 + a2)
        out[target + f + 3] = Math.max(floor, c3 + a3)
        if (pair) {
          out[target + outChannels + f] = Math.max(floor, c0 + b0)
          out[target + outChannels + f + 1] = Math.max(floor, c1 + b1)
          out[target + outChannels + f + 2] = Math.max(floor, c2 + b2)
          out[target + outChannels + f + 3] = Math.max(floor, c3 + b3)
        }
      }
      for (let f = blocked; f < outputs; f++) {
        let a = 0
        let b = 0
        let w = groupFilter + f * rows
        for (let tap = 0; tap < taps; tap++) {
          const start = at + reach[tap]
          const end = start + inputs
          for (let c = start; c < end; c++, w++) {
            a += source[c] * packed[w]
            b += source[c + channels] * packed[w]
          }
        }
        const c = bias ? bias[g * outputs + f] : 0
        out[target + f] = Math.max(floor, c + a)
        if (pair) out[target + outChannels + f] = Math.max(floor, c + b)
      }
    }
  }
}
