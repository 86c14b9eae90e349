import { float16Bits } from '../formats/float16'
import { evaluateEinsum } from './fold-einsum'
import { broadcastShape, TensorOps, type ConvolutionGeometry, type Operand } from '../ops/tensor-ops'
import {
  OnnxType,
  type OnnxAttribute,
  type OnnxElementType,
  type OnnxNode,
  type OnnxTensor
} from './onnx-proto'

/**
 * Records TensorOps operations as ONNX nodes (opset 17, the default domain only), so that an exported model is
 * the layers' own forward passes and not a second description of them. Every public operation is written here
 * in ONNX terms; none goes through the TensorFlow op names of `emit`, which this executor refuses.
 *
 * The passes state their shapes with a concrete batch. For a graph whose batch is left open, the batch is
 * recorded as `symbolicBatch`, a size no real axis has: a dimension that is a multiple of it is batch-sized.
 * Such a dimension becomes -1 in a Reshape, or is computed from the graph input's own shape where an operation
 * needs the size itself (Expand).
 */
export const symbolicBatch = 1_000_003

export interface OnnxOperand extends Operand {
  /** The ONNX value's name. */
  readonly name: string
}

export type FloatPrecision = 'float32' | 'float16'

const isBatchSized = (size: number) => size !== 0 && size % symbolicBatch === 0

function int64Bytes(values: number[]): Uint8Array {
  const out = new BigInt64Array(values.length)
  values.forEach((value, i) => (out[i] = BigInt(value)))
  return new Uint8Array(out.buffer)
}

/** Float values as raw bytes of the given precision. */
export function floatBytes(values: ArrayLike<number>, precision: FloatPrecision): Uint8Array {
  if (precision === 'float32') return new Uint8Array(Float32Array.from(values).buffer)
  const halves = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) halves[i] = float16Bits(values[i])
  return new Uint8Array(halves.buffer)
}

/** ONNX's lowest int64, the end of a slice that runs backwards to the start. */
const int64Min = -(2 ** 63)

export class OnnxOps extends TensorOps<OnnxOperand> {
  readonly nodes: OnnxNode[] = []
  readonly initializers: OnnxTensor[] = []
  private readonly constants = new Map<string, OnnxOperand>()
  /** The float32 values of float constants and weights stored as they are, by name (for folding). */
  private readonly known = new Map<string, Float32Array>()
  private batchSize: OnnxOperand | null = null
  private batchInput: OnnxOperand | null = null
  /** The precision of the float constants recorded from now on (the network's; preprocessing stays float32). */
  precision: FloatPrecision = 'float32'

  /** The graph input whose first axis is the batch: where batch-sized shapes are computed from. */
  setBatchSource(input: OnnxOperand): void {
    this.batchInput = input
  }

  get floatType(): OnnxElementType {
    return this.precision === 'float16' ? OnnxType.float16 : OnnxType.float
  }

  protected override emit(op: string): OnnxOperand {
    throw new Error(`ONNX export: the TensorFlow op ${op} has no ONNX form here`)
  }

  protected override emitList(op: string): OnnxOperand[] {
    throw new Error(`ONNX export: the TensorFlow op ${op} has no ONNX form here`)
  }

  protected override int32(values: number[]): OnnxOperand {
    throw new Error(`ONNX export: an int32 operand (${values.join(',')}) has no use here`)
  }

  /** One node with one output. */
  node(op: string, inputs: OnnxOperand[], shape: number[], attributes: Record<string, OnnxAttribute> = {}) {
    return this.nodeOutputs(op, inputs, [shape], attributes)[0]
  }

  nodeOutputs(
    op: string,
    inputs: OnnxOperand[],
    shapes: number[][],
    attributes: Record<string, OnnxAttribute> = {}
  ): OnnxOperand[] {
    const name = `n${this.nodes.length}`
    const outputs = shapes.map((shape, i) => ({ name: shapes.length === 1 ? name : `${name}_${i}`, shape }))
    this.nodes.push({
      op,
      name,
      inputs: inputs.map((input) => input.name),
      outputs: outputs.map((output) => output.name),
      attributes
    })
    return outputs
  }

  /** A named tensor stored in the file (a weight), in the given element type. */
  initializer(name: string, type: OnnxElementType, dims: number[], data: Uint8Array): OnnxOperand {
    this.initializers.push({ name, type, dims, data })
    return { name, shape: dims }
  }

  private constant(key: string, make: (name: string) => OnnxOperand): OnnxOperand {
    let constant = this.constants.get(key)
    if (!constant) {
      constant = make(`c${this.constants.size}`)
      this.constants.set(key, constant)
    }
    return constant
  }

  int64(values: number[], shape: number[]): OnnxOperand {
    return this.constant(`i64:${shape.join('x')}:${values.join(',')}`, (name) =>
      this.initializer(name, OnnxType.int64, shape, int64Bytes(values))
    )
  }

  override float32(values: number[], shape: number[]): OnnxOperand {
    return this.floats(values, shape)
  }

  override floatScalar(value: number): OnnxOperand {
    return this.floats([value], [])
  }

  /** A float constant in the current precision (shared between equal ones). */
  floats(values: ArrayLike<number>, shape: number[]): OnnxOperand {
    const key = `${this.precision}:${shape.join('x')}:${Array.prototype.join.call(values, ',')}`
    return this.constant(key, (name) => this.floatWeight(name, Float32Array.from(values), shape))
  }

  /** A named float tensor stored in the current precision. */
  floatWeight(name: string, values: Float32Array, shape: number[]): OnnxOperand {
    this.known.set(name, values)
    return this.initializer(name, this.floatType, shape, floatBytes(values, this.precision))
  }

  cast(x: OnnxOperand, to: OnnxElementType): OnnxOperand {
    return this.node('Cast', [x], x.shape, { to: { kind: 'int', value: to } })
  }

  /** The batch size as an int64 [1], read from the batch source's shape. */
  private batch(): OnnxOperand {
    if (!this.batchSize) {
      if (!this.batchInput) throw new Error('ONNX export: a batch-sized shape without a batch source')
      this.batchSize = this.node('Shape', [this.batchInput], [1], {
        start: { kind: 'int', value: 0 },
        end: { kind: 'int', value: 1 }
      })
    }
    return this.batchSize
  }

  /** A shape as an int64 tensor, batch-sized dimensions computed at run time. */
  private shapeTensor(shape: number[]): OnnxOperand {
    if (!shape.some(isBatchSized)) return this.int64(shape, [shape.length])
    const pieces = shape.map((size) =>
      isBatchSized(size)
        ? size === symbolicBatch
          ? this.batch()
          : this.node('Mul', [this.batch(), this.int64([size / symbolicBatch], [1])], [1])
        : this.int64([size], [1])
    )
    return this.node('Concat', pieces, [shape.length], { axis: { kind: 'int', value: 0 } })
  }

  private unary(op: string, x: OnnxOperand): OnnxOperand {
    return this.node(op, [x], x.shape)
  }

  private binary(op: string, a: OnnxOperand, b: OnnxOperand): OnnxOperand {
    return this.node(op, [a, b], broadcastShape(a.shape, b.shape))
  }

  override reshape(x: OnnxOperand, shape: number[]): OnnxOperand {
    if (shape.length === x.shape.length && shape.every((size, i) => size === x.shape[i])) return x
    const batchSized = shape.filter(isBatchSized).length
    const target =
      batchSized <= 1
        ? this.int64(
            shape.map((size) => (isBatchSized(size) ? -1 : size)),
            [shape.length]
          )
        : this.shapeTensor(shape)
    return this.node('Reshape', [x, target], shape)
  }

  override transpose(x: OnnxOperand, permutation: number[]): OnnxOperand {
    return this.node(
      'Transpose',
      [x],
      permutation.map((axis) => x.shape[axis]),
      { perm: { kind: 'ints', value: permutation } }
    )
  }

  override reverse(x: OnnxOperand, axis: number): OnnxOperand {
    return this.node(
      'Slice',
      [x, this.int64([-1], [1]), this.int64([int64Min], [1]), this.int64([axis], [1]), this.int64([-1], [1])],
      x.shape
    )
  }

  override add(a: OnnxOperand, b: OnnxOperand): OnnxOperand {
    return this.binary('Add', a, b)
  }

  override mul(a: OnnxOperand, b: OnnxOperand): OnnxOperand {
    return this.binary('Mul', a, b)
  }

  override sub(a: OnnxOperand, b: OnnxOperand): OnnxOperand {
    return this.binary('Sub', a, b)
  }

  override div(a: OnnxOperand, b: OnnxOperand): OnnxOperand {
    return this.binary('Div', a, b)
  }

  override sqrt(x: OnnxOperand): OnnxOperand {
    return this.unary('Sqrt', x)
  }

  override neg(x: OnnxOperand): OnnxOperand {
    return this.unary('Neg', x)
  }

  override zerosLike(x: OnnxOperand): OnnxOperand {
    const shape = this.node('Shape', [x], [x.shape.length])
    return this.node('Expand', [this.floats([0], []), shape], x.shape)
  }

  override broadcastTo(x: OnnxOperand, shape: number[]): OnnxOperand {
    return this.node('Expand', [x, this.shapeTensor(shape)], shape)
  }

  override softmax(x: OnnxOperand): OnnxOperand {
    return this.node('Softmax', [x], x.shape, { axis: { kind: 'int', value: -1 } })
  }

  override sigmoid(x: OnnxOperand): OnnxOperand {
    return this.unary('Sigmoid', x)
  }

  override tanh(x: OnnxOperand): OnnxOperand {
    return this.unary('Tanh', x)
  }

  override relu(x: OnnxOperand): OnnxOperand {
    return this.unary('Relu', x)
  }

  override sign(x: OnnxOperand): OnnxOperand {
    return this.unary('Sign', x)
  }

  override sigmoidGrad(y: OnnxOperand, dy: OnnxOperand): OnnxOperand {
    return this.mul(dy, this.mul(y, this.sub(this.floats([1], []), y)))
  }

  override tanhGrad(y: OnnxOperand, dy: OnnxOperand): OnnxOperand {
    return this.mul(dy, this.sub(this.floats([1], []), this.mul(y, y)))
  }

  override reluGrad(dy: OnnxOperand, y: OnnxOperand): OnnxOperand {
    return this.mul(dy, this.sign(this.relu(y)))
  }

  /** Swaps the last two axes. */
  private transposeLast(x: OnnxOperand): OnnxOperand {
    const rank = x.shape.length
    const permutation = Array.from({ length: rank }, (_, i) => i)
    ;[permutation[rank - 2], permutation[rank - 1]] = [rank - 1, rank - 2]
    return this.transpose(x, permutation)
  }

  override matMul(a: OnnxOperand, b: OnnxOperand, transposeA = false, transposeB = false): OnnxOperand {
    const left = transposeA ? this.transposeLast(a) : a
    const right = transposeB ? this.transposeLast(b) : b
    const rows = left.shape[left.shape.length - 2]
    const columns = right.shape[right.shape.length - 1]
    return this.node(
      'MatMul',
      [left, right],
      [...broadcastShape(left.shape.slice(0, -2), right.shape.slice(0, -2)), rows, columns]
    )
  }

  override reduce(op: 'Mean' | 'Max' | 'Sum', x: OnnxOperand, axis: number): OnnxOperand {
    if (op === 'Sum') return this.sum(x, [axis], true)
    // Opset 17: ReduceMean and ReduceMax take their axes as an attribute (ReduceSum as an input).
    return this.node(
      `Reduce${op}`,
      [x],
      x.shape.map((size, i) => (i === axis ? 1 : size)),
      { axes: { kind: 'ints', value: [axis] }, keepdims: { kind: 'int', value: 1 } }
    )
  }

  override sum(x: OnnxOperand, axes: number[], keepDims: boolean): OnnxOperand {
    const shape = keepDims
      ? x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size))
      : x.shape.filter((_, axis) => !axes.includes(axis))
    return this.node('ReduceSum', [x, this.int64(axes, [axes.length])], shape, {
      keepdims: { kind: 'int', value: keepDims ? 1 : 0 }
    })
  }

  /**
   * A two-operand einsum as one MatMul between transposes and reshapes: ONNX Runtime's CPU Einsum is slow and
   * cannot be constant-folded, and most of these contract weights alone (a spatial filter from its kernel).
   * Labels: batch (both operands and the output), contracted (both, not the output), kept (one operand and the
   * output); a label of one operand alone that the output lacks is summed first.
   */
  override einsum(equation: string, a: OnnxOperand, b: OnnxOperand): OnnxOperand {
    const [knownA, knownB] = [this.known.get(a.name), this.known.get(b.name)]
    if (knownA && knownB) {
      // Weights alone (the spatial attention's filter from its kernel): computed once here, so that the file
      // holds the small filter and not the large expansion it is made with.
      const { values, shape } = evaluateEinsum(
        equation,
        { values: knownA, shape: a.shape },
        { values: knownB, shape: b.shape }
      )
      return this.floats(values, shape)
    }
    const [operands, output] = equation.split('->')
    const [left, right] = operands.split(',').map((labels) => [...labels])
    const out = [...output]
    const sizes = new Map<string, number>()
    left.forEach((label, axis) => sizes.set(label, a.shape[axis]))
    right.forEach((label, axis) => sizes.set(label, b.shape[axis]))
    const sumAlone = (x: OnnxOperand, labels: string[], other: string[]) => {
      const axes = labels.flatMap((label, axis) =>
        other.includes(label) || out.includes(label) ? [] : [axis]
      )
      if (axes.length === 0) return { x, labels }
      return { x: this.sum(x, axes, false), labels: labels.filter((_, axis) => !axes.includes(axis)) }
    }
    const l = sumAlone(a, left, right)
    const r = sumAlone(b, right, left)
    const batch = out.filter((label) => l.labels.includes(label) && r.labels.includes(label))
    const contracted = l.labels.filter((label) => r.labels.includes(label) && !out.includes(label))
    const leftKept = l.labels.filter((label) => !r.labels.includes(label))
    const rightKept = r.labels.filter((label) => !l.labels.includes(label))
    const size = (labels: string[]) =>
      labels.reduce((product, label) => product * (sizes.get(label) as number), 1)
    const arrange = (x: OnnxOperand, labels: string[], order: string[], shape: number[]) => {
      const permutation = order.map((label) => labels.indexOf(label))
      const moved = permutation.every((axis, i) => axis === i) ? x : this.transpose(x, permutation)
      return this.reshape(moved, shape)
    }
    const batchSize = batch.length ? [size(batch)] : []
    const leftMatrix = arrange(
      l.x,
      l.labels,
      [...batch, ...leftKept, ...contracted],
      [...batchSize, size(leftKept), size(contracted)]
    )
    const rightMatrix = arrange(
      r.x,
      r.labels,
      [...batch, ...contracted, ...rightKept],
      [...batchSize, size(contracted), size(rightKept)]
    )
    const product = this.matMul(leftMatrix, rightMatrix)
    const labels = [...batch, ...leftKept, ...rightKept]
    const unflattened = this.reshape(
      product,
      labels.map((label) => sizes.get(label) as number)
    )
    const permutation = out.map((label) => labels.indexOf(label))
    return permutation.every((axis, i) => axis === i) ? unflattened : this.transpose(unflattened, permutation)
  }

  override equal(a: OnnxOperand, b: OnnxOperand): OnnxOperand {
    return this.binary('Equal', a, b)
  }

  override select(condition: OnnxOperand, t: OnnxOperand, e: OnnxOperand): OnnxOperand {
    return this.node(
      'Where',
      [condition, t, e],
      broadcastShape(condition.shape, broadcastShape(t.shape, e.shape))
    )
  }

  override biasAdd(x: OnnxOperand, bias: OnnxOperand): OnnxOperand {
    return this.node('Add', [x, bias], x.shape)
  }

  override biasAddGrad(dy: OnnxOperand): OnnxOperand {
    return this.sum(
      dy,
      dy.shape.slice(0, -1).map((_, axis) => axis),
      false
    )
  }

  override slice(x: OnnxOperand, begin: number[], size: number[]): OnnxOperand {
    const axes: number[] = []
    const starts: number[] = []
    const ends: number[] = []
    const shape = size.map((length, i) => (length === -1 ? x.shape[i] - begin[i] : length))
    shape.forEach((length, axis) => {
      if (begin[axis] === 0 && length === x.shape[axis]) return
      if (isBatchSized(x.shape[axis]))
        throw new Error(`ONNX export: a slice of part of the batch axis ${axis}`)
      axes.push(axis)
      starts.push(begin[axis])
      ends.push(begin[axis] + length)
    })
    if (axes.length === 0) return x
    return this.node(
      'Slice',
      [
        x,
        this.int64(starts, [axes.length]),
        this.int64(ends, [axes.length]),
        this.int64(axes, [axes.length])
      ],
      shape
    )
  }

  override concat(parts: OnnxOperand[], axis: number): OnnxOperand {
    if (parts.length === 1) return parts[0]
    const shape = [...parts[0].shape]
    shape[axis] = parts.reduce((sum, part) => sum + part.shape[axis], 0)
    return this.node('Concat', parts, shape, { axis: { kind: 'int', value: axis } })
  }

  override stackAlong(parts: OnnxOperand[], axis: number): OnnxOperand {
    const axes = this.int64([axis], [1])
    const expanded = parts.map((part) => {
      const shape = [...part.shape]
      shape.splice(axis, 0, 1)
      return this.node('Unsqueeze', [part, axes], shape)
    })
    if (expanded.length === 1) return expanded[0]
    return this.concat(expanded, axis)
  }

  override stack(parts: OnnxOperand[]): OnnxOperand {
    return this.stackAlong(parts, 0)
  }

  override unstack(x: OnnxOperand, axis: number): OnnxOperand[] {
    const shape = x.shape.filter((_, i) => i !== axis)
    return Array.from({ length: x.shape[axis] }, (_, index) =>
      this.node('Gather', [x, this.int64([index], [])], shape, { axis: { kind: 'int', value: axis } })
    )
  }

  override split(x: OnnxOperand, sizes: number[], axis: number): OnnxOperand[] {
    return this.nodeOutputs(
      'Split',
      [x, this.int64(sizes, [sizes.length])],
      sizes.map((size) => x.shape.map((length, i) => (i === axis ? size : length))),
      { axis: { kind: 'int', value: axis } }
    )
  }

  override padSteps(x: OnnxOperand, before: number, after: number): OnnxOperand {
    if (before === 0 && after === 0) return x
    const shape = [...x.shape]
    shape[2] += before + after
    return this.node('Pad', [x, this.int64([0, 0, before, 0, 0, 0, after, 0], [8])], shape)
  }

  /**
   * A Conv2D over NHWC x [N, H, W, C] with filter [h, w, C/groups, F] (TensorFlow's layout), as ONNX's NCHW
   * Conv between transposes.
   */
  private conv2d(
    x: OnnxOperand,
    filter: OnnxOperand,
    pads: [number, number, number, number],
    dilations: [number, number]
  ): OnnxOperand {
    const [n, height, width, channels] = x.shape
    const [taps0, taps1, perGroup, outputs] = filter.shape
    const nchw = this.transpose(x, [0, 3, 1, 2])
    const weights = this.transpose(filter, [3, 2, 0, 1])
    const outHeight = height + pads[0] + pads[2] - (taps0 - 1) * dilations[0]
    const outWidth = width + pads[1] + pads[3] - (taps1 - 1) * dilations[1]
    const out = this.node('Conv', [nchw, weights], [n, outputs, outHeight, outWidth], {
      group: { kind: 'int', value: channels / perGroup },
      dilations: { kind: 'ints', value: dilations },
      kernel_shape: { kind: 'ints', value: [taps0, taps1] },
      pads: { kind: 'ints', value: pads },
      strides: { kind: 'ints', value: [1, 1] }
    })
    return this.transpose(out, [0, 2, 3, 1])
  }

  override convolveSame(x: OnnxOperand, filter: OnnxOperand): OnnxOperand {
    // TensorFlow's SAME at stride 1: k - 1 zeros, the smaller half before.
    const [h, w] = filter.shape
    const top = Math.floor((h - 1) / 2)
    const left = Math.floor((w - 1) / 2)
    return this.conv2d(x, filter, [top, left, h - 1 - top, w - 1 - left], [1, 1])
  }

  override convolve(x: OnnxOperand, filter: OnnxOperand, geometry: ConvolutionGeometry): OnnxOperand {
    return this.conv2d(x, filter, [0, geometry.padBefore, 0, geometry.padAfter], [1, geometry.dilation])
  }

  private inferenceOnly(name: string): never {
    throw new Error(`ONNX export records inference graphs: ${name} is a training gradient`)
  }

  override convolveSameFilterGradient(): OnnxOperand {
    return this.inferenceOnly('convolveSameFilterGradient')
  }

  override convolveSameInputGradient(): OnnxOperand {
    return this.inferenceOnly('convolveSameInputGradient')
  }

  override convolveInputGradient(): OnnxOperand {
    return this.inferenceOnly('convolveInputGradient')
  }

  override convolveGroupedFilterGradient(): OnnxOperand {
    return this.inferenceOnly('convolveGroupedFilterGradient')
  }

  override convolveFilterGradient(): OnnxOperand {
    return this.inferenceOnly('convolveFilterGradient')
  }
}
