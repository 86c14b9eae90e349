import { DataType, type AttrValue } from './attributes'

/** Causal (or any explicitly padded) dilated 1-D convolution along axis 2 of [1, B, T, C]. */
export interface ConvolutionGeometry {
  dilation: number
  padBefore: number
  padAfter: number
}

export interface Operand {
  readonly shape: number[]
}

const float: AttrValue = { kind: 'type', value: DataType.float }
const int32: AttrValue = { kind: 'type', value: DataType.int32 }

/** The shape of an elementwise result of operands shaped `a` and `b` (NumPy broadcasting). */
export function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length)
  return Array.from({ length: rank }, (_, i) => {
    const left = a[a.length - rank + i] ?? 1
    const right = b[b.length - rank + i] ?? 1
    return left === 1 ? right : left
  })
}

/** The output shape of a two-operand einsum: each output label's size, as the operands give it. */
export function einsumShape(equation: string, a: number[], b: number[]): number[] {
  const [operands, output] = equation.split('->')
  const sizes = new Map<string, number>()
  operands
    .split(',')
    .forEach((labels, i) => [...labels].forEach((label, axis) => sizes.set(label, (i === 0 ? a : b)[axis])))
  return [...output].map((label) => sizes.get(label) as number)
}

/**
 * The operations every layer pass (engine/passes/) is written in, once, with TensorFlow's op names and
 * attributes. An executor (engine/executors/) gives them a meaning: EagerOps runs each at once through
 * tfjs-node's binding; GraphOps records them into a TensorFlow function that then runs as one op; TfjsOps runs
 * them as plain tfjs ops, on any backend. Every method states its output's shape, which a recorder needs and
 * an eager run ignores. An executor implements `emit` and `emitList` (or overrides the public methods).
 */
export abstract class TensorOps<H extends Operand> {
  protected abstract emit(
    op: string,
    attrs: Record<string, AttrValue>,
    inputs: H[],
    outputArg: string,
    shape: number[]
  ): H

  /** An op with several outputs of one list argument (Unpack, Split): `count` results of `shape` each. */
  protected abstract emitList(
    op: string,
    attrs: Record<string, AttrValue>,
    inputs: H[],
    outputArg: string,
    shapes: number[][]
  ): H[]

  protected abstract int32(values: number[], shape: number[]): H

  /** A float constant: a scalar (shape []) or a small tensor. */
  abstract float32(values: number[], shape: number[]): H

  floatScalar(value: number): H {
    return this.float32([value], [])
  }

  reshape(x: H, shape: number[]): H {
    if (shape.length === x.shape.length && shape.every((size, i) => size === x.shape[i])) return x
    return this.emit(
      'Reshape',
      { T: float, Tshape: int32 },
      [x, this.int32(shape, [shape.length])],
      'output',
      shape
    )
  }

  transpose(x: H, permutation: number[]): H {
    return this.emit(
      'Transpose',
      { T: float, Tperm: int32 },
      [x, this.int32(permutation, [permutation.length])],
      'y',
      permutation.map((axis) => x.shape[axis])
    )
  }

  reverse(x: H, axis: number): H {
    return this.emit('ReverseV2', { T: float, Tidx: int32 }, [x, this.int32([axis], [1])], 'output', x.shape)
  }

  add(a: H, b: H): H {
    return this.emit('AddV2', { T: float }, [a, b], 'z', broadcastShape(a.shape, b.shape))
  }

  mul(a: H, b: H): H {
    return this.emit('Mul', { T: float }, [a, b], 'z', broadcastShape(a.shape, b.shape))
  }

  sub(a: H, b: H): H {
    return this.emit('Sub', { T: float }, [a, b], 'z', broadcastShape(a.shape, b.shape))
  }

  div(a: H, b: H): H {
    return this.emit('RealDiv', { T: float }, [a, b], 'z', broadcastShape(a.shape, b.shape))
  }

  sqrt(x: H): H {
    return this.emit('Sqrt', { T: float }, [x], 'y', x.shape)
  }

  neg(x: H): H {
    return this.emit('Neg', { T: float }, [x], 'y', x.shape)
  }

  zerosLike(x: H): H {
    return this.emit('ZerosLike', { T: float }, [x], 'y', x.shape)
  }

  broadcastTo(x: H, shape: number[]): H {
    return this.emit(
      'BroadcastTo',
      { T: float, Tidx: int32 },
      [x, this.int32(shape, [shape.length])],
      'output',
      shape
    )
  }

  /** Softmax over the last axis. */
  softmax(x: H): H {
    return this.emit('Softmax', { T: float }, [x], 'softmax', x.shape)
  }

  sigmoid(x: H): H {
    return this.emit('Sigmoid', { T: float }, [x], 'y', x.shape)
  }

  tanh(x: H): H {
    return this.emit('Tanh', { T: float }, [x], 'y', x.shape)
  }

  /** dy * y * (1 - y) for y = sigmoid(x). */
  sigmoidGrad(y: H, dy: H): H {
    return this.emit('SigmoidGrad', { T: float }, [y, dy], 'z', y.shape)
  }

  /** dy * (1 - y²) for y = tanh(x). */
  tanhGrad(y: H, dy: H): H {
    return this.emit('TanhGrad', { T: float }, [y, dy], 'z', y.shape)
  }

  /** Batched a [.., M, K] x b [.., K, N], either operand transposed in its last two axes. */
  matMul(a: H, b: H, transposeA = false, transposeB = false): H {
    const rows = transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2]
    const columns = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1]
    return this.emit(
      'BatchMatMulV2',
      { T: float, adj_x: { kind: 'bool', value: transposeA }, adj_y: { kind: 'bool', value: transposeB } },
      [a, b],
      'output',
      [...broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), rows, columns]
    )
  }

  /** Mean, max or sum over one axis, kept as size 1 so that the result broadcasts back against x. */
  reduce(op: 'Mean' | 'Max' | 'Sum', x: H, axis: number): H {
    return this.emit(
      op,
      { T: float, Tidx: int32, keep_dims: { kind: 'bool', value: true } },
      [x, this.int32([axis], [1])],
      'output',
      x.shape.map((size, i) => (i === axis ? 1 : size))
    )
  }

  /** Two operands; the output's shape follows the equation's output labels. */
  einsum(equation: string, a: H, b: H): H {
    return this.emit(
      'Einsum',
      { T: float, N: { kind: 'int', value: 2 }, equation: { kind: 'string', value: equation } },
      [a, b],
      'output',
      einsumShape(equation, a.shape, b.shape)
    )
  }

  /** A boolean mask where a == b (broadcasting); only `select` reads it. */
  equal(a: H, b: H): H {
    return this.emit(
      'Equal',
      { T: float, incompatible_shape_error: { kind: 'bool', value: true } },
      [a, b],
      'z',
      broadcastShape(a.shape, b.shape)
    )
  }

  /** condition ? t : e, all three broadcasting. */
  select(condition: H, t: H, e: H): H {
    return this.emit(
      'SelectV2',
      { T: float },
      [condition, t, e],
      'output',
      broadcastShape(condition.shape, broadcastShape(t.shape, e.shape))
    )
  }

  sign(x: H): H {
    return this.emit('Sign', { T: float }, [x], 'y', x.shape)
  }

  private samePadding(): Record<string, AttrValue> {
    return {
      T: float,
      strides: { kind: 'ints', value: [1, 1, 1, 1] },
      use_cudnn_on_gpu: { kind: 'bool', value: true },
      padding: { kind: 'string', value: 'SAME' },
      data_format: { kind: 'string', value: 'NHWC' },
      dilations: { kind: 'ints', value: [1, 1, 1, 1] }
    }
  }

  /** A stride-1 "same" Conv2D, NHWC, filter [h, w, in, out]. */
  convolveSame(x: H, filter: H): H {
    return this.emit('Conv2D', this.samePadding(), [x, filter], 'output', [
      ...x.shape.slice(0, 3),
      filter.shape[3]
    ])
  }

  convolveSameFilterGradient(x: H, filterShape: number[], dy: H): H {
    return this.emit(
      'Conv2DBackpropFilter',
      this.samePadding(),
      [x, this.int32(filterShape, [4]), dy],
      'output',
      filterShape
    )
  }

  convolveSameInputGradient(inputShape: number[], filter: H, dy: H): H {
    return this.emit(
      'Conv2DBackpropInput',
      this.samePadding(),
      [this.int32(inputShape, [4]), filter, dy],
      'output',
      inputShape
    )
  }

  /** Sum over `axes`, keeping them as size 1 or not. */
  sum(x: H, axes: number[], keepDims: boolean): H {
    const shape = keepDims
      ? x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size))
      : x.shape.filter((_, axis) => !axes.includes(axis))
    return this.emit(
      'Sum',
      { T: float, Tidx: int32, keep_dims: { kind: 'bool', value: keepDims } },
      [x, this.int32(axes, [axes.length])],
      'output',
      shape
    )
  }

  /** The slices of x along `axis`, that axis removed. */
  unstack(x: H, axis: number): H[] {
    const count = x.shape[axis]
    const shape = x.shape.filter((_, i) => i !== axis)
    return this.emitList(
      'Unpack',
      { T: float, num: { kind: 'int', value: count }, axis: { kind: 'int', value: axis } },
      [x],
      'output',
      Array.from({ length: count }, () => shape)
    )
  }

  /** Pieces of x along `axis` of the given sizes. */
  split(x: H, sizes: number[], axis: number): H[] {
    return this.emitList(
      'SplitV',
      { T: float, Tlen: int32, num_split: { kind: 'int', value: sizes.length } },
      [x, this.int32(sizes, [sizes.length]), this.int32([axis], [])],
      'output',
      sizes.map((size) => x.shape.map((length, i) => (i === axis ? size : length)))
    )
  }

  /** Stacks along `axis` (0 by default). */
  stackAlong(parts: H[], axis: number): H {
    const shape = [...parts[0].shape]
    shape.splice(axis, 0, parts.length)
    return this.emit(
      'Pack',
      { T: float, N: { kind: 'int', value: parts.length }, axis: { kind: 'int', value: axis } },
      parts,
      'output',
      shape
    )
  }

  relu(x: H): H {
    return this.emit('Relu', { T: float }, [x], 'activations', x.shape)
  }

  /** dy where the ReLU's output (or input) y is positive, else 0. */
  reluGrad(dy: H, y: H): H {
    return this.emit('ReluGrad', { T: float }, [dy, y], 'backprops', dy.shape)
  }

  biasAdd(x: H, bias: H): H {
    return this.emit(
      'BiasAdd',
      { T: float, data_format: { kind: 'string', value: 'NHWC' } },
      [x, bias],
      'output',
      x.shape
    )
  }

  /** The sum of dy over every axis but the last. */
  biasAddGrad(dy: H): H {
    return this.emit(
      'BiasAddGrad',
      { T: float, data_format: { kind: 'string', value: 'NHWC' } },
      [dy],
      'output',
      [dy.shape[dy.shape.length - 1]]
    )
  }

  slice(x: H, begin: number[], size: number[]): H {
    return this.emit(
      'Slice',
      { T: float, Index: int32 },
      [x, this.int32(begin, [begin.length]), this.int32(size, [size.length])],
      'output',
      size.map((length, i) => (length === -1 ? x.shape[i] - begin[i] : length))
    )
  }

  concat(parts: H[], axis: number): H {
    if (parts.length === 1) return parts[0]
    const shape = [...parts[0].shape]
    shape[axis] = parts.reduce((sum, part) => sum + part.shape[axis], 0)
    return this.emit(
      'ConcatV2',
      { T: float, N: { kind: 'int', value: parts.length }, Tidx: int32 },
      [...parts, this.int32([axis], [])],
      'output',
      shape
    )
  }

  stack(parts: H[]): H {
    return this.stackAlong(parts, 0)
  }

  /** Zeros along axis 2 of a 4-D tensor. */
  padSteps(x: H, before: number, after: number): H {
    if (before === 0 && after === 0) return x
    const shape = [...x.shape]
    shape[2] += before + after
    return this.emit(
      'Pad',
      { T: float, Tpaddings: int32 },
      [x, this.int32([0, 0, 0, 0, before, after, 0, 0], [4, 2])],
      'output',
      shape
    )
  }

  private convolutionAttributes(
    padding: 'VALID' | 'EXPLICIT',
    geometry: ConvolutionGeometry
  ): Record<string, AttrValue> {
    return {
      T: float,
      strides: { kind: 'ints', value: [1, 1, 1, 1] },
      use_cudnn_on_gpu: { kind: 'bool', value: true },
      padding: { kind: 'string', value: padding },
      ...(padding === 'EXPLICIT'
        ? {
            explicit_paddings: {
              kind: 'ints',
              value: [0, 0, 0, 0, geometry.padBefore, geometry.padAfter, 0, 0]
            } as AttrValue
          }
        : {}),
      data_format: { kind: 'string', value: 'NHWC' },
      dilations: { kind: 'ints', value: [1, 1, geometry.dilation, 1] }
    }
  }

  /**
   * x [1, B, T, G*C] (NHWC, the batch as rows) convolved along time by filter [1, k, C, G*F]: TensorFlow's
   * Conv2D runs G groups when the input has G times the filter's input depth (group g reads channels
   * g*C.., writes g*F..), with the dilation and the causal padding as attributes.
   */
  convolve(x: H, filter: H, geometry: ConvolutionGeometry): H {
    const [batch, rows, steps] = x.shape
    const taps = filter.shape[1]
    const outputSteps = steps + geometry.padBefore + geometry.padAfter - (taps - 1) * geometry.dilation
    return this.emit('Conv2D', this.convolutionAttributes('EXPLICIT', geometry), [x, filter], 'output', [
      batch,
      rows,
      outputSteps,
      filter.shape[3]
    ])
  }

  /**
   * The input gradient of `convolve`. TensorFlow's CPU Conv2DBackpropInput refuses dilations, but the input
   * gradient is itself a dilated correlation, dx[s] = sum_j W[j]^T dy[s + P - j d]: a forward Conv2D of dy
   * with each group's filter reversed over its taps and transposed (C <-> F), padded (k-1)d - P before and
   * (k-1)d - A after. filter [1, k, C, G*F] as `convolve` takes it.
   */
  convolveInputGradient(dy: H, filter: H, groups: number, geometry: ConvolutionGeometry): H {
    const [, taps, inputChannels, groupedOutputs] = filter.shape
    const outputChannels = groupedOutputs / groups
    const span = (taps - 1) * geometry.dilation
    // [1, k, C, G*F] -> [k, C, G, F] -> reversed taps -> [k, F, G, C] -> [1, k, F, G*C]
    const reversed = this.reverse(this.reshape(filter, [taps, inputChannels, groups, outputChannels]), 0)
    const transposed = this.reshape(this.transpose(reversed, [0, 3, 2, 1]), [
      1,
      taps,
      outputChannels,
      groups * inputChannels
    ])
    return this.convolve(dy, transposed, {
      dilation: geometry.dilation,
      padBefore: span - geometry.padBefore,
      padAfter: span - geometry.padAfter
    })
  }

  /**
   * The filter gradient of `convolve` with G groups, [G, 1, k, C, F] (group g's filter [1, k, C, F]): one
   * `convolveFilterGradient` a group here, as TensorFlow's backprop refuses groups; an executor may batch it.
   */
  convolveGroupedFilterGradient(dy: H, x: H, groups: number, taps: number, geometry: ConvolutionGeometry): H {
    const [, batch, steps, groupedInputs] = x.shape
    const [, , outputSteps, groupedOutputs] = dy.shape
    const inputs = groupedInputs / groups
    const outputs = groupedOutputs / groups
    if (groups === 1)
      return this.reshape(this.convolveFilterGradient(dy, x, taps, geometry), [1, 1, taps, inputs, outputs])
    const perGroup: H[] = []
    for (let group = 0; group < groups; group++) {
      const xGroup = this.slice(x, [0, 0, 0, group * inputs], [1, batch, steps, inputs])
      const dyGroup = this.slice(dy, [0, 0, 0, group * outputs], [1, batch, outputSteps, outputs])
      perGroup.push(this.convolveFilterGradient(dyGroup, xGroup, taps, geometry))
    }
    return this.stack(perGroup)
  }

  /**
   * The filter gradient of `convolve` for one group: x [1, B, T, C], dy [1, B, T', F] -> [1, k, C, F].
   * Conv2DBackpropFilter refuses dilations on CPU, refuses groups, and with padding EXPLICIT it corrupted the
   * heap (glibc aborts within a few hundred calls), so it gets a padded input and padding VALID. Dilation d:
   * x and dy padded to a multiple of d and split by spaceToBatchND into d interleaved sequences, on which the
   * taps are consecutive: an undilated backprop.
   */
  convolveFilterGradient(dy: H, x: H, taps: number, geometry: ConvolutionGeometry): H {
    const { dilation, padBefore, padAfter } = geometry
    const paddedSteps = x.shape[2] + padBefore + padAfter
    const extra = dilation > 1 ? (dilation - (paddedSteps % dilation)) % dilation : 0
    let input = this.padSteps(x, padBefore, padAfter + extra)
    let gradient = this.padSteps(dy, 0, extra)
    if (dilation > 1) {
      const split = (tensor: H) =>
        this.emit(
          'SpaceToBatchND',
          { T: float, Tblock_shape: int32, Tpaddings: int32 },
          [tensor, this.int32([1, dilation], [2]), this.int32([0, 0, 0, 0], [2, 2])],
          'output',
          [tensor.shape[0] * dilation, tensor.shape[1], tensor.shape[2] / dilation, tensor.shape[3]]
        )
      input = split(input)
      gradient = split(gradient)
    }
    const filterShape = [1, taps, x.shape[3], dy.shape[3]]
    return this.emit(
      'Conv2DBackpropFilter',
      this.convolutionAttributes('VALID', { ...geometry, dilation: 1 }),
      [input, this.int32(filterShape, [4]), gradient],
      'output',
      filterShape
    )
  }
}
