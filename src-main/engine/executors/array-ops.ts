import type { AttrValue } from '../ops/attributes'
import {
  broadcastShape,
  einsumShape,
  TensorOps,
  type ConvolutionGeometry,
  type Operand
} from '../ops/tensor-ops'
import {
  alignStrides,
  Binary,
  binaryKernels,
  broadcastStrides,
  ConvolutionLoop,
  copyStrided,
  matMulLoop,
  reduceKernels,
  Runs,
  selectLoop,
  sizeOf,
  softmaxLoop,
  stridesOf,
  transposeLast,
  Unary,
  unaryKernels,
  type Conv2dShape
} from './array-kernels'

/**
 * TensorOps in plain JavaScript over Float64Array buffers, for one-window inference where no TensorFlow
 * runs the passes fast (the wasm and cpu backends spend their time in per-kernel overhead at these sizes).
 * A recorder, like GraphOps and the ONNX executor: running the passes over it records a program of
 * instructions, which `compile` turns into loops over buffers placed once; a run then allocates nothing.
 * An operation whose inputs are all constants (weights, the attention's constant matrices) is computed once
 * when recorded, so that weight reshapes, transposes and the spatial filter's einsum cost nothing per run.
 * Compiling keeps only the instructions the outputs depend on (the passes also compute what a backward pass
 * would need), and lets buffers whose values are no longer read serve later instructions.
 * Inference only: the convolutions' gradients throw.
 */

export class Storage {
  values: Float64Array | null = null
  producer: Instruction | null = null
  constructor(
    readonly size: number,
    readonly kind: 'constant' | 'input' | 'computed'
  ) {}
}

export interface ArrayOperand extends Operand {
  readonly shape: number[]
  /** The values, shared by an operand and its reshapes. */
  readonly storage: Storage
}

/**
 * A buffer a loop needs while it runs, shared by every loop of the program that asks for the same key (they
 * run one after another); zeros when first handed out.
 */
type Scratch = (key: string, size: number) => Float64Array

/** Given the inputs' and the output's buffers, the loop that computes the output. */
type Kernel = (inputs: Float64Array[], output: Float64Array, scratch: Scratch) => () => void

const unshared: Scratch = (_key, size) => new Float64Array(size)

/** A recorded convolution, which a bias add and a ReLU of its output are recorded into. */
interface Convolution {
  x: ArrayOperand
  filter: ArrayOperand
  shape: Conv2dShape
  outShape: number[]
  bias: ArrayOperand | null
  relu: boolean
}

/** Where an operand's values lie: in `source`'s buffer from `offset`, with `strides` per axis of the operand. */
interface View {
  source: ArrayOperand
  offset: number
  strides: number[]
}

interface Instruction {
  inputs: ArrayOperand[]
  output: ArrayOperand
  kernel: Kernel
  convolution?: Convolution
  /** A copy's output as a view of its input, which readers that take strides read in place. */
  view?: View
  /** An elementwise operation of two operands, which a ReLU of its output is recorded into. */
  binary?: { code: number; a: ArrayOperand; b: ArrayOperand }
}

const withoutUnitAxes = (shape: number[]) => shape.filter((size) => size !== 1)

export interface ArrayProgram {
  /** Computes the outputs from the values in the inputs' buffers. */
  run(): void
  /** An input's or output's buffer: write inputs there before `run`, read outputs after it. */
  values(operand: ArrayOperand): Float64Array
  /** Instructions a run performs. */
  readonly instructions: number
}

const isConstant = (x: ArrayOperand) => x.storage.kind === 'constant'
const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((size, i) => size === b[i])

/** A copy of x [.., rows, columns] with its last two axes swapped. */
function swapLast(x: Float64Array, shape: number[]): Float64Array {
  const out = new Float64Array(x.length)
  transposeLast(x, out, shape[shape.length - 2], shape[shape.length - 1])
  return out
}

/** The einsum as loops: output labels outside, contracted labels (in both operands or one alone) inside. */
function einsumKernel(
  equation: string,
  a: Operand,
  b: Operand,
  outShape: number[]
): (inputs: Float64Array[], output: Float64Array) => () => void {
  const [operands, output] = equation.split('->')
  const [left, right] = operands.split(',').map((labels) => [...labels])
  const out = [...output]
  for (const labels of [left, right, out])
    if (new Set(labels).size !== labels.length) throw new Error(`einsum ${equation}: a repeated label`)
  const size = (label: string) =>
    left.includes(label) ? a.shape[left.indexOf(label)] : b.shape[right.indexOf(label)]
  const summed = [...new Set([...left, ...right])].filter((label) => !out.includes(label))
  const strideOf = (labels: string[], shape: number[]) => {
    const own = stridesOf(shape)
    return (label: string) => (labels.includes(label) ? own[labels.indexOf(label)] : 0)
  }
  const [ofA, ofB] = [strideOf(left, a.shape), strideOf(right, b.shape)]
  const outer = new Runs(outShape, [out.map(ofA), out.map(ofB), stridesOf(outShape)])
  const inner = new Runs(summed.map(size), [summed.map(ofA), summed.map(ofB)])
  return ([x, y], result) =>
    () => {
      outer.start()
      for (let run = 0; run < outer.count; run++) {
        let i = outer.at[0]
        let j = outer.at[1]
        let k = outer.at[2]
        for (let n = 0; n < outer.length; n++, i += outer.step[0], j += outer.step[1], k += outer.step[2]) {
          let sum = 0
          inner.start(i, j)
          for (let r = 0; r < inner.count; r++) {
            let p = inner.at[0]
            let q = inner.at[1]
            for (let m = 0; m < inner.length; m++, p += inner.step[0], q += inner.step[1]) sum += x[p] * y[q]
            inner.next()
          }
          result[k] = sum
        }
        outer.next()
      }
    }
}

/**
 * A two-operand einsum on dense values, evaluated at once with float64 sums: for folding weight-only einsums
 * outside a recorded program (the ONNX export).
 */
export function evaluateEinsum(
  equation: string,
  a: { values: ArrayLike<number>; shape: number[] },
  b: { values: ArrayLike<number>; shape: number[] }
): { values: Float32Array; shape: number[] } {
  const shape = einsumShape(equation, a.shape, b.shape)
  const out = new Float64Array(sizeOf(shape))
  einsumKernel(equation, a, b, shape)([Float64Array.from(a.values), Float64Array.from(b.values)], out)()
  return { values: Float32Array.from(out), shape }
}

export class ArrayOps extends TensorOps<ArrayOperand> {
  private readonly instructions: Instruction[] = []
  /**
   * Constants with their last two axes swapped, once each: every step of a recurrence multiplies by the same
   * kernel, and one copy of it stays in cache where one a step would not.
   */
  private readonly swapped = new Map<Storage, Float64Array>()

  private swappedConstant(x: ArrayOperand): Float64Array {
    let values = this.swapped.get(x.storage)
    if (!values) {
      values = swapLast(x.storage.values as Float64Array, x.shape)
      this.swapped.set(x.storage, values)
    }
    return values
  }

  private operand(shape: number[], kind: Storage['kind']): ArrayOperand {
    return { shape, storage: new Storage(sizeOf(shape), kind) }
  }

  /** A model input: its buffer is written before each run. */
  input(shape: number[]): ArrayOperand {
    const operand = this.operand(shape, 'input')
    operand.storage.values = new Float64Array(operand.storage.size)
    return operand
  }

  /** A constant (a weight): the values are copied now. */
  constant(values: ArrayLike<number>, shape: number[]): ArrayOperand {
    if (values.length !== sizeOf(shape))
      throw new Error(
        `a constant of shape ${shape.join('x')} needs ${sizeOf(shape)} values, got ${values.length}`
      )
    const operand = this.operand(shape, 'constant')
    operand.storage.values = Float64Array.from(values)
    return operand
  }

  /** Records an instruction, or computes it now where every input is a constant. */
  private record(
    inputs: ArrayOperand[],
    shape: number[],
    kernel: Kernel,
    about: Pick<Instruction, 'convolution' | 'view' | 'binary'> = {}
  ): ArrayOperand {
    if (inputs.every(isConstant)) {
      const operand = this.operand(shape, 'constant')
      const values = new Float64Array(operand.storage.size)
      kernel(
        inputs.map((input) => input.storage.values as Float64Array),
        values,
        unshared
      )()
      operand.storage.values = values
      return operand
    }
    const output = this.operand(shape, 'computed')
    const instruction = { inputs, output, kernel, ...about }
    output.storage.producer = instruction
    this.instructions.push(instruction)
    return output
  }

  /**
   * The program computing `outputs` from the inputs: only the instructions they depend on, in recording
   * order; a buffer is handed to a later instruction of the same size once its last reader has run.
   */
  compile(outputs: ArrayOperand[]): ArrayProgram {
    const live = new Set<Instruction>()
    const pending = outputs.map((output) => output.storage.producer)
    while (pending.length) {
      const instruction = pending.pop()
      if (!instruction || live.has(instruction)) continue
      live.add(instruction)
      for (const input of instruction.inputs) pending.push(input.storage.producer)
    }
    const order = this.instructions.filter((instruction) => live.has(instruction))
    const lastRead = new Map<Storage, number>()
    order.forEach((instruction, index) =>
      instruction.inputs.forEach((input) => lastRead.set(input.storage, index))
    )
    const kept = new Set(outputs.map((output) => output.storage))
    const free = new Map<number, Float64Array[]>()
    const shared = new Map<string, Float64Array>()
    const scratch: Scratch = (key, size) => {
      let buffer = shared.get(key)
      if (!buffer) {
        buffer = new Float64Array(size)
        shared.set(key, buffer)
      }
      return buffer
    }
    const steps = order.map((instruction, index) => {
      const storage = instruction.output.storage
      storage.values = free.get(storage.size)?.pop() ?? new Float64Array(storage.size)
      const step = instruction.kernel(
        instruction.inputs.map((input) => input.storage.values as Float64Array),
        storage.values,
        scratch
      )
      for (const input of new Set(instruction.inputs.map((operand) => operand.storage))) {
        if (input.kind !== 'computed' || kept.has(input) || lastRead.get(input) !== index) continue
        const sized = free.get(input.size) ?? []
        sized.push(input.values as Float64Array)
        free.set(input.size, sized)
      }
      return step
    })
    return {
      instructions: steps.length,
      run: () => {
        for (let i = 0; i < steps.length; i++) steps[i]()
      },
      values: (operand) => {
        if (!operand.storage.values) throw new Error('an operand the program does not compute')
        return operand.storage.values
      }
    }
  }

  protected override emit(op: string, _attrs: Record<string, AttrValue>): ArrayOperand {
    throw new Error(`ArrayOps has no form of the TensorFlow op ${op}`)
  }

  protected override emitList(op: string, _attrs: Record<string, AttrValue>): ArrayOperand[] {
    throw new Error(`ArrayOps has no form of the TensorFlow op ${op}`)
  }

  protected override int32(values: number[]): ArrayOperand {
    throw new Error(`ArrayOps: an int32 operand (${values.join(',')}) has no use here`)
  }

  override float32(values: number[], shape: number[]): ArrayOperand {
    return this.constant(values, shape)
  }

  private inferenceOnly(name: string): never {
    throw new Error(`ArrayOps runs inference only: ${name} is a training gradient`)
  }

  // Layout: reshapes are views; copies with strides.

  override reshape(x: ArrayOperand, shape: number[]): ArrayOperand {
    if (sizeOf(shape) !== x.storage.size)
      throw new Error(`cannot reshape ${x.shape.join('x')} to ${shape.join('x')}`)
    return sameShape(shape, x.shape) ? x : { shape, storage: x.storage }
  }

  /**
   * x as a view of a computed operand: the output of a slice, transpose, reversal or broadcast (or a reshape
   * of one that only adds or drops unit axes) is read where its values lie, so that the copy itself is left
   * out of the program where nothing else reads it.
   */
  private view(x: ArrayOperand): View {
    const producer = x.storage.producer
    const view = producer?.view
    if (producer && view && sameShape(withoutUnitAxes(x.shape), withoutUnitAxes(producer.output.shape))) {
      const kept = producer.output.shape.flatMap((size, axis) => (size === 1 ? [] : [view.strides[axis]]))
      let next = 0
      return {
        source: view.source,
        offset: view.offset,
        strides: x.shape.map((size) => (size === 1 ? 0 : kept[next++]))
      }
    }
    return { source: x, offset: 0, strides: stridesOf(x.shape) }
  }

  /** A copy of `shape` read from x's values as `place` states it (from x's own view). */
  private gather(x: ArrayOperand, shape: number[], place: (of: View) => Omit<View, 'source'>): ArrayOperand {
    const base = this.view(x)
    const { offset, strides } = place(base)
    const runs = new Runs(shape, [strides, stridesOf(shape)])
    return this.record(
      [base.source],
      shape,
      ([source], out) =>
        () =>
          copyStrided(runs, source, offset, out, 0),
      { view: { source: base.source, offset, strides } }
    )
  }

  override transpose(x: ArrayOperand, permutation: number[]): ArrayOperand {
    if (permutation.every((axis, i) => axis === i)) return x
    return this.gather(
      x,
      permutation.map((axis) => x.shape[axis]),
      ({ offset, strides }) => ({ offset, strides: permutation.map((axis) => strides[axis]) })
    )
  }

  override reverse(x: ArrayOperand, axis: number): ArrayOperand {
    return this.gather(x, x.shape, ({ offset, strides }) => ({
      offset: offset + (x.shape[axis] - 1) * strides[axis],
      strides: strides.map((stride, i) => (i === axis ? -stride : stride))
    }))
  }

  override slice(x: ArrayOperand, begin: number[], size: number[]): ArrayOperand {
    const shape = size.map((length, i) => (length === -1 ? x.shape[i] - begin[i] : length))
    if (sameShape(shape, x.shape)) return x
    return this.gather(x, shape, ({ offset, strides }) => ({
      offset: begin.reduce((sum, start, i) => sum + start * strides[i], offset),
      strides
    }))
  }

  override broadcastTo(x: ArrayOperand, shape: number[]): ArrayOperand {
    if (sameShape(shape, x.shape)) return x
    return this.gather(x, shape, ({ offset, strides }) => ({
      offset,
      strides: alignStrides(x.shape, strides, shape)
    }))
  }

  override concat(parts: ArrayOperand[], axis: number): ArrayOperand {
    if (parts.length === 1) return parts[0]
    const shape = [...parts[0].shape]
    shape[axis] = parts.reduce((sum, part) => sum + part.shape[axis], 0)
    const outStrides = stridesOf(shape)
    let position = 0
    const pieces = parts.map((part) => {
      const at = position * outStrides[axis]
      position += part.shape[axis]
      const view = this.view(part)
      return { at, view, runs: new Runs(part.shape, [view.strides, outStrides]) }
    })
    return this.record(
      pieces.map((piece) => piece.view.source),
      shape,
      (sources, out) => () => {
        for (let i = 0; i < pieces.length; i++)
          copyStrided(pieces[i].runs, sources[i], pieces[i].view.offset, out, pieces[i].at)
      }
    )
  }

  override stackAlong(parts: ArrayOperand[], axis: number): ArrayOperand {
    const shape = [...parts[0].shape]
    shape.splice(axis, 0, 1)
    const expanded = parts.map((part) => this.reshape(part, shape))
    return expanded.length === 1 ? expanded[0] : this.concat(expanded, axis)
  }

  override stack(parts: ArrayOperand[]): ArrayOperand {
    return this.stackAlong(parts, 0)
  }

  override unstack(x: ArrayOperand, axis: number): ArrayOperand[] {
    const size = x.shape.map((length, i) => (i === axis ? 1 : length))
    const shape = x.shape.filter((_, i) => i !== axis)
    return Array.from({ length: x.shape[axis] }, (_, index) =>
      this.reshape(
        this.slice(
          x,
          x.shape.map((_, i) => (i === axis ? index : 0)),
          size
        ),
        shape
      )
    )
  }

  override split(x: ArrayOperand, sizes: number[], axis: number): ArrayOperand[] {
    let start = 0
    return sizes.map((length) => {
      const begin = x.shape.map((_, i) => (i === axis ? start : 0))
      start += length
      return this.slice(
        x,
        begin,
        x.shape.map((size, i) => (i === axis ? length : size))
      )
    })
  }

  override padSteps(x: ArrayOperand, before: number, after: number): ArrayOperand {
    if (before === 0 && after === 0) return x
    const shape = [...x.shape]
    shape[2] += before + after
    const outStrides = stridesOf(shape)
    const view = this.view(x)
    const runs = new Runs(x.shape, [view.strides, outStrides])
    return this.record([view.source], shape, ([source], out) => () => {
      out.fill(0)
      copyStrided(runs, source, view.offset, out, before * outStrides[2])
    })
  }

  // Elementwise, with NumPy broadcasting; inputs read in place where they are views.

  private unary(code: number, x: ArrayOperand): ArrayOperand {
    const view = this.view(x)
    const runs = new Runs(x.shape, [view.strides, stridesOf(x.shape)])
    return this.record([view.source], x.shape, ([source], out) =>
      unaryKernels[code](runs, source, view.offset, out)
    )
  }

  private binary(code: number, a: ArrayOperand, b: ArrayOperand): ArrayOperand {
    const shape = broadcastShape(a.shape, b.shape)
    const [left, right] = [this.view(a), this.view(b)]
    const runs = new Runs(shape, [
      alignStrides(a.shape, left.strides, shape),
      alignStrides(b.shape, right.strides, shape),
      stridesOf(shape)
    ])
    return this.record(
      [left.source, right.source],
      shape,
      ([x, y], out) => binaryKernels[code](runs, x, left.offset, y, right.offset, out),
      { binary: { code, a, b } }
    )
  }

  override add(a: ArrayOperand, b: ArrayOperand): ArrayOperand {
    return this.binary(Binary.add, a, b)
  }

  override sub(a: ArrayOperand, b: ArrayOperand): ArrayOperand {
    return this.binary(Binary.sub, a, b)
  }

  override mul(a: ArrayOperand, b: ArrayOperand): ArrayOperand {
    return this.binary(Binary.mul, a, b)
  }

  override div(a: ArrayOperand, b: ArrayOperand): ArrayOperand {
    return this.binary(Binary.div, a, b)
  }

  override equal(a: ArrayOperand, b: ArrayOperand): ArrayOperand {
    return this.binary(Binary.equal, a, b)
  }

  override biasAdd(x: ArrayOperand, bias: ArrayOperand): ArrayOperand {
    const convolution = x.storage.producer?.convolution
    const channels = x.shape[x.shape.length - 1]
    if (convolution && !convolution.bias && !convolution.relu && channels === bias.storage.size) {
      if (channels === convolution.outShape[3])
        return this.reshape(this.convolution({ ...convolution, bias }), x.shape)
    }
    return this.binary(Binary.add, x, bias)
  }

  override sigmoidGrad(y: ArrayOperand, dy: ArrayOperand): ArrayOperand {
    return this.binary(Binary.sigmoidGrad, y, dy)
  }

  override tanhGrad(y: ArrayOperand, dy: ArrayOperand): ArrayOperand {
    return this.binary(Binary.tanhGrad, y, dy)
  }

  override reluGrad(dy: ArrayOperand, y: ArrayOperand): ArrayOperand {
    return this.binary(Binary.reluGrad, dy, y)
  }

  override select(condition: ArrayOperand, t: ArrayOperand, e: ArrayOperand): ArrayOperand {
    const shape = broadcastShape(condition.shape, broadcastShape(t.shape, e.shape))
    const operands = [condition, t, e]
    const views = operands.map((operand) => this.view(operand))
    const runs = new Runs(shape, [
      ...views.map((view, i) => alignStrides(operands[i].shape, view.strides, shape)),
      stridesOf(shape)
    ])
    const offsets = views.map((view) => view.offset)
    return this.record(
      views.map((view) => view.source),
      shape,
      (inputs, out) => () => selectLoop(runs, inputs, offsets, out)
    )
  }

  override sqrt(x: ArrayOperand): ArrayOperand {
    return this.unary(Unary.sqrt, x)
  }

  override neg(x: ArrayOperand): ArrayOperand {
    return this.unary(Unary.neg, x)
  }

  override sigmoid(x: ArrayOperand): ArrayOperand {
    return this.unary(Unary.sigmoid, x)
  }

  override tanh(x: ArrayOperand): ArrayOperand {
    return this.unary(Unary.tanh, x)
  }

  override relu(x: ArrayOperand): ArrayOperand {
    const convolution = x.storage.producer?.convolution
    if (convolution && !convolution.relu)
      return this.reshape(this.convolution({ ...convolution, relu: true }), x.shape)
    const sum = x.storage.producer?.binary
    if (sum?.code === Binary.add) return this.reshape(this.binary(Binary.addRelu, sum.a, sum.b), x.shape)
    return this.unary(Unary.relu, x)
  }

  override sign(x: ArrayOperand): ArrayOperand {
    return this.unary(Unary.sign, x)
  }

  override zerosLike(x: ArrayOperand): ArrayOperand {
    return this.constant(new Float64Array(x.storage.size), x.shape)
  }

  override softmax(x: ArrayOperand): ArrayOperand {
    const width = x.shape[x.shape.length - 1]
    return this.record(
      [x],
      x.shape,
      ([source], out) =>
        () =>
          softmaxLoop(source, out, width)
    )
  }

  // Reductions.

  override reduce(op: 'Mean' | 'Max' | 'Sum', x: ArrayOperand, axis: number): ArrayOperand {
    const outer = sizeOf(x.shape.slice(0, axis))
    const inner = sizeOf(x.shape.slice(axis + 1))
    const n = x.shape[axis]
    const shape = x.shape.map((size, i) => (i === axis ? 1 : size))
    return this.record([x], shape, ([source], out) => reduceKernels[op](source, out, outer, n, inner))
  }

  override sum(x: ArrayOperand, axes: number[], keepDims: boolean): ArrayOperand {
    const kept = axes.reduce((value, axis) => this.reduce('Sum', value, axis), x)
    return keepDims
      ? kept
      : this.reshape(
          kept,
          x.shape.filter((_, axis) => !axes.includes(axis))
        )
  }

  override biasAddGrad(dy: ArrayOperand): ArrayOperand {
    return this.sum(
      dy,
      dy.shape.slice(0, -1).map((_, axis) => axis),
      false
    )
  }

  // Products.

  /**
   * Batched a [.., M, K] x b [.., K, N], batch axes broadcast. b is used as [.., N, K] (each product a
   * contiguous dot): a constant b is arranged so once, b given transposed is used as it is, any other is
   * transposed at each run; a transposed a likewise.
   */
  override matMul(a: ArrayOperand, b: ArrayOperand, transposeA = false, transposeB = false): ArrayOperand {
    const [aRows, aColumns] = a.shape.slice(-2)
    const [bRows, bColumns] = b.shape.slice(-2)
    const [m, k] = transposeA ? [aColumns, aRows] : [aRows, aColumns]
    const [kB, n] = transposeB ? [bColumns, bRows] : [bRows, bColumns]
    if (k !== kB) throw new Error(`matMul: ${a.shape.join('x')} by ${b.shape.join('x')}`)
    const batchShape = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2))
    const shape = [...batchShape, m, n]
    const batches = sizeOf(batchShape)
    const offsets = (operand: number[], block: number) => {
      const strides = broadcastStrides(operand.slice(0, -2), batchShape)
      const runs = new Runs(batchShape, [strides])
      const at = new Int32Array(batches)
      runs.start()
      for (let run = 0, i = 0; run < runs.count; run++, runs.next())
        for (let j = 0; j < runs.length; j++) at[i++] = (runs.at[0] + j * runs.step[0]) * block
      return at
    }
    const aAt = offsets(a.shape, m * k)
    const bAt = offsets(b.shape, k * n)
    const bConstant = isConstant(b)
    return this.record([a, b], shape, ([x, y], out) => {
      const left = transposeA ? new Float64Array(x.length) : x
      const right = transposeB ? y : bConstant ? this.swappedConstant(b) : new Float64Array(y.length)
      const rearrangeB = !transposeB && !bConstant
      return () => {
        if (transposeA) transposeLast(x, left, k, m)
        if (rearrangeB) transposeLast(y, right, k, n)
        for (let batch = 0; batch < batches; batch++)
          matMulLoop(left, aAt[batch], right, bAt[batch], out, batch * m * n, m, k, n)
      }
    })
  }

  override einsum(equation: string, a: ArrayOperand, b: ArrayOperand): ArrayOperand {
    const shape = einsumShape(equation, a.shape, b.shape)
    return this.record([a, b], shape, einsumKernel(equation, a, b, shape))
  }

  // Convolutions, NHWC.

  /** x [N, H, W, G*C] by filter [kh, kw, C, G*F] with explicit padding: a zero-padded copy, then the loop. */
  private conv2d(
    x: ArrayOperand,
    filter: ArrayOperand,
    pads: Conv2dShape['pads'],
    dilations: Conv2dShape['dilations']
  ): ArrayOperand {
    const [batch, height, width, channels] = x.shape
    const [kernelHeight, kernelWidth, inputs, groupedOutputs] = filter.shape
    const groups = channels / inputs
    if (!Number.isInteger(groups) || groupedOutputs % groups !== 0)
      throw new Error(`convolution: ${x.shape.join('x')} by a filter ${filter.shape.join('x')}`)
    const shape: Conv2dShape = {
      batch,
      height,
      width,
      groups,
      inputs,
      outputs: groupedOutputs / groups,
      kernelHeight,
      kernelWidth,
      pads,
      dilations
    }
    const outShape = [
      batch,
      height + pads[0] + pads[2] - (kernelHeight - 1) * dilations[0],
      width + pads[1] + pads[3] - (kernelWidth - 1) * dilations[1],
      groupedOutputs
    ]
    return this.convolution({ x, filter, shape, outShape, bias: null, relu: false })
  }

  /**
   * Records a convolution, with the bias and ReLU that follow it where given. A bias add or ReLU of a
   * convolution's output records the convolution again with them, and compiling drops the first one where
   * nothing else reads it.
   */
  private convolution(convolution: Convolution): ArrayOperand {
    const { x, filter, shape, outShape, bias, relu } = convolution
    const filterConstant = isConstant(filter)
    const inputs = bias ? [x, filter, bias] : [x, filter]
    const padding = ConvolutionLoop.padding(shape)
    const kernel: Kernel = ([input, weights, biasValues], out, scratch) => {
      // Convolutions whose padded copies have the same layout share one: its borders stay zero.
      const loop = new ConvolutionLoop(shape, scratch(`padded ${padding.layout}`, padding.size))
      if (filterConstant) loop.pack(weights)
      const added = biasValues ?? null
      return () => {
        if (!filterConstant) loop.pack(weights)
        loop.run(input, added, relu, out)
      }
    }
    return this.record(inputs, outShape, kernel, { convolution })
  }

  override convolve(x: ArrayOperand, filter: ArrayOperand, geometry: ConvolutionGeometry): ArrayOperand {
    if (filter.shape[0] !== 1) throw new Error(`convolve: a filter ${filter.shape.join('x')} of height > 1`)
    return this.conv2d(x, filter, [0, geometry.padBefore, 0, geometry.padAfter], [1, geometry.dilation])
  }

  override convolveSame(x: ArrayOperand, filter: ArrayOperand): ArrayOperand {
    // TensorFlow's SAME at stride 1: k - 1 zeros, the smaller half before.
    const [h, w] = filter.shape
    const top = Math.floor((h - 1) / 2)
    const left = Math.floor((w - 1) / 2)
    return this.conv2d(x, filter, [top, left, h - 1 - top, w - 1 - left], [1, 1])
  }

  // The training gradients (convolveInputGradient, a forward convolution, is the base class's).

  override convolveSameFilterGradient(
    _x: ArrayOperand,
    _filterShape: number[],
    _dy: ArrayOperand
  ): ArrayOperand {
    return this.inferenceOnly('convolveSameFilterGradient')
  }

  override convolveSameInputGradient(
    _inputShape: number[],
    _filter: ArrayOperand,
    _dy: ArrayOperand
  ): ArrayOperand {
    return this.inferenceOnly('convolveSameInputGradient')
  }

  override convolveGroupedFilterGradient(
    _dy: ArrayOperand,
    _x: ArrayOperand,
    _groups: number,
    _taps: number,
    _geometry: ConvolutionGeometry
  ): ArrayOperand {
    return this.inferenceOnly('convolveGroupedFilterGradient')
  }

  override convolveFilterGradient(
    _dy: ArrayOperand,
    _x: ArrayOperand,
    _taps: number,
    _geometry: ConvolutionGeometry
  ): ArrayOperand {
    return this.inferenceOnly('convolveFilterGradient')
  }
}
