import * as tf from '@tensorflow/tfjs'
import type { AttrValue } from '../ops/attributes'
import { TensorOps, type ConvolutionGeometry } from '../ops/tensor-ops'
import { cachedConstant, isKeptConstant, keptConstant } from './constants'

const isIdentity = (permutation: number[]) => permutation.every((axis, i) => axis === i)

function permute(x: tf.Tensor, permutation: number[]): tf.Tensor {
  return isIdentity(permutation) ? x : tf.transpose(x, permutation)
}

/** Arranged forms of kept constants (the attention's expansion matrices), made once. */
const arrangements = new WeakMap<tf.Tensor, Map<string, tf.Tensor>>()

/** x transposed by `permutation` and reshaped; once per constant where x is a kept constant. */
function arranged(x: tf.Tensor, permutation: number[], shape: number[]): tf.Tensor {
  if (!isKeptConstant(x)) return tf.reshape(permute(x, permutation), shape)
  let forms = arrangements.get(x)
  if (!forms) {
    forms = new Map()
    arrangements.set(x, forms)
  }
  const key = `${permutation.join(',')}:${shape.join('x')}`
  let form = forms.get(key)
  if (!form || form.isDisposed) {
    form = tf.keep(tf.reshape(permute(x, permutation), shape))
    forms.set(key, form)
  }
  return form
}

/** How TfjsOps writes matMuls and convolutions; the execution policy picks them per backend. */
export interface TfjsOpsOptions {
  /**
   * Every batched product big enough to matter as one 2-D matMul per batch entry, transposes explicit: the
   * wasm backend runs a batched matMul several times slower than the same work as plain 2-D matMuls, and one
   * with a transposed operand slower than an explicit transpose and a plain matMul. Small products (a
   * one-window recurrence step) stay batched, where one kernel costs less than the unstack and stack.
   */
  plainMatMuls?: boolean
  /**
   * 'conv2d': convolutions and their input gradients as the backend's Conv2D (XNNPACK on wasm, with the
   * dilation and the causal padding as its own attributes), filter gradients as a Conv2D of the input against
   * dy; 'columns' (the default): shifted slices, a concat and a matMul (im2col), which any backend runs;
   * 'ungrouped-conv2d': Conv2D for convolutions of one group only, columns for grouped ones (the cpu backend's
   * Conv2D is a plain loop that beats columns on one large group but not one Conv2D a group).
   */
  convolutions?: 'columns' | 'conv2d' | 'ungrouped-conv2d'
}

/**
 * Products with at most this many multiply-adds per batch entry stay one batched matMul under plainMatMuls:
 * below it the batched kernel beats unstack, 2-D matMuls and stack on wasm (bench/wasm-speed.ts shows the
 * one-window effect).
 */
const smallProduct = 32768

/**
 * Grouped convolutions with at most this many groups run as one Conv2D of a block-diagonal filter (the
 * off-diagonal blocks are zeros: groups times the multiply-adds, but no channel split of the input and one
 * kernel), and their filter gradients as one all-pairs Conv2D whose diagonal blocks are kept; more groups run
 * one Conv2D a group, and their filter gradients as columns.
 */
const blockDiagonalGroups = 2

/** Splits of an input this large (elements) into consecutive pieces read it once (see TfjsOps.split). */
const largeSplit = 16384

/** [.., G*C, G*F] mask, 1 on the G diagonal C x F blocks: one per shape, kept. */
function blockDiagonalMask(groups: number, inputs: number, outputs: number): tf.Tensor {
  return keptConstant(`block-diagonal ${groups} ${inputs} ${outputs}`, () => {
    const values = new Float32Array(groups * inputs * groups * outputs)
    for (let g = 0; g < groups; g++)
      for (let c = 0; c < inputs; c++)
        for (let f = 0; f < outputs; f++) values[(g * inputs + c) * groups * outputs + g * outputs + f] = 1
    return tf.tensor(values, [1, 1, groups * inputs, groups * outputs])
  })
}

/** [G, 1, 1, G, 1], 1 where the two group axes agree: picks each group's block of an all-pairs result. */
function groupDiagonal(groups: number): tf.Tensor {
  return keptConstant(`group diagonal ${groups}`, () => tf.reshape(tf.eye(groups), [groups, 1, 1, groups, 1]))
}

/**
 * TensorOps as plain tfjs ops, for the backends without TensorFlow's own kernels (wasm, cpu): each operation is
 * one or a few tfjs kernels in the current tidy scope. The einsums are written as transposes and one batched
 * matMul and the convolutions as the backend's Conv2D or as shifted slices and matMuls (im2col), because the
 * wasm backend has no Conv2DBackpropFilter, no Einsum and no grouped convolution. Every method overrides the
 * TensorFlow op the base class would emit, so `emit` is never reached. One instance runs one pass (run-pass.ts
 * makes one per forward or backward), so what it derives from an operand (a weight's per-batch matrices, read
 * at every recurrence step) is kept for the pass and goes with its scope.
 */
export class TfjsOps extends TensorOps<tf.Tensor> {
  private readonly plainMatMuls: boolean
  /** Convolutions of at most this many groups run as Conv2D: 0 none, 1 ungrouped only, Infinity all. */
  private readonly conv2dGroups: number
  /** Right operands of plain products as their per-batch matrices (transposed or not), per tensor. */
  private readonly matrices = new Map<tf.Tensor, { plain?: tf.Tensor[]; transposed?: tf.Tensor[] }>()

  constructor({ plainMatMuls = false, convolutions = 'columns' }: TfjsOpsOptions = {}) {
    super()
    this.plainMatMuls = plainMatMuls
    this.conv2dGroups = { columns: 0, 'ungrouped-conv2d': 1, conv2d: Infinity }[convolutions]
  }

  /** The per-batch matrices of a rank-3 right operand, transposed in its last two axes or not; once per pass. */
  private rightMatrices(b: tf.Tensor, transposed: boolean): tf.Tensor[] {
    let forms = this.matrices.get(b)
    if (!forms) {
      forms = {}
      this.matrices.set(b, forms)
    }
    const form = transposed ? 'transposed' : 'plain'
    let matrices = forms[form]
    // Gone where a caller ran this instance in several tidy scopes.
    if (!matrices || matrices.some((matrix) => matrix.isDisposed)) {
      matrices = this.unstack(transposed ? tf.transpose(b, [0, 2, 1]) : b, 0)
      forms[form] = matrices
    }
    return matrices
  }

  /** a [.., M, K] x b [.., K, N] in the form the backend runs fastest. */
  private product(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
    if (!this.plainMatMuls) return tf.matMul(a, b, transposeA, transposeB)
    const swap = (x: tf.Tensor) =>
      tf.transpose(
        x,
        [...x.shape.keys()].map((axis, _, axes) =>
          axis < axes.length - 2 ? axis : axis === axes.length - 2 ? axes.length - 1 : axes.length - 2
        )
      )
    const batched = a.rank === 3 && b.rank === 3 && a.shape[0] === b.shape[0] && a.shape[0] > 1
    if (
      batched &&
      !transposeA &&
      !transposeB &&
      (a.shape[1] as number) * (a.shape[2] as number) * (b.shape[2] as number) <= smallProduct
    )
      return tf.matMul(a, b)
    const left = transposeA ? swap(a) : a
    if (batched) {
      const rights = this.rightMatrices(b, transposeB)
      return tf.stack(
        this.unstack(left, 0).map((matrix, i) => tf.matMul(matrix as tf.Tensor2D, rights[i] as tf.Tensor2D))
      )
    }
    const right = transposeB ? swap(b) : b
    if (left.rank === 2 && right.rank === 2) return tf.matMul(left as tf.Tensor2D, right as tf.Tensor2D)
    if (left.rank !== 3 || right.rank !== 3 || left.shape[0] !== right.shape[0]) return tf.matMul(left, right)
    return tf.expandDims(
      tf.matMul(tf.squeeze(left, [0]) as tf.Tensor2D, tf.squeeze(right, [0]) as tf.Tensor2D),
      0
    )
  }

  protected emit(op: string, _attrs: Record<string, AttrValue>, _inputs: tf.Tensor[]): tf.Tensor {
    throw new Error(`TfjsOps has no form of the TensorFlow op ${op}`)
  }

  protected emitList(op: string, _attrs: Record<string, AttrValue>, _inputs: tf.Tensor[]): tf.Tensor[] {
    throw new Error(`TfjsOps has no form of the TensorFlow op ${op}`)
  }

  protected int32(values: number[], shape: number[]): tf.Tensor {
    return cachedConstant(values, shape, 'int32')
  }

  float32(values: number[], shape: number[]): tf.Tensor {
    return cachedConstant(values, shape, 'float32')
  }

  override reshape(x: tf.Tensor, shape: number[]): tf.Tensor {
    if (shape.length === x.shape.length && shape.every((size, i) => size === x.shape[i])) return x
    return tf.reshape(x, shape)
  }

  override transpose(x: tf.Tensor, permutation: number[]): tf.Tensor {
    return permute(x, permutation)
  }

  override reverse(x: tf.Tensor, axis: number): tf.Tensor {
    return tf.reverse(x, axis)
  }

  override add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b)
  }

  override mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b)
  }

  override sub(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.sub(a, b)
  }

  override div(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.div(a, b)
  }

  override sqrt(x: tf.Tensor): tf.Tensor {
    return tf.sqrt(x)
  }

  override neg(x: tf.Tensor): tf.Tensor {
    return tf.neg(x)
  }

  override zerosLike(x: tf.Tensor): tf.Tensor {
    return tf.zerosLike(x)
  }

  /** As a broadcasting add to zeros: wasm's Tile, which tf.broadcastTo runs, is many times slower. */
  override broadcastTo(x: tf.Tensor, shape: number[]): tf.Tensor {
    if (shape.length === x.shape.length && shape.every((size, i) => size === x.shape[i])) return x
    return tf.add(x, tf.zeros(shape))
  }

  override softmax(x: tf.Tensor): tf.Tensor {
    return tf.softmax(x)
  }

  override sigmoid(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x)
  }

  override tanh(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x)
  }

  override sigmoidGrad(y: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    return tf.mul(dy, tf.mul(y, tf.sub(1, y)))
  }

  override tanhGrad(y: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    return tf.mul(dy, tf.sub(1, tf.square(y)))
  }

  override matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
    return this.product(a, b, transposeA, transposeB)
  }

  override reduce(op: 'Mean' | 'Max' | 'Sum', x: tf.Tensor, axis: number): tf.Tensor {
    if (op === 'Mean') return tf.mean(x, axis, true)
    if (op === 'Max') return tf.max(x, axis, true)
    return tf.sum(x, axis, true)
  }

  /**
   * Two operands as one batched matMul: labels in both operands and the output are the batch, labels in both
   * but not the output are contracted, and a label in one operand only that the output lacks is summed first.
   */
  override einsum(equation: string, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    const [inputs, output] = equation.split('->')
    const [left, right] = inputs.split(',')
    const sumAway = (x: tf.Tensor, labels: string, other: string) => {
      const axes = [...labels].flatMap((label, axis) =>
        !output.includes(label) && !other.includes(label) ? [axis] : []
      )
      const kept = [...labels].filter((_, axis) => !axes.includes(axis)).join('')
      return { x: axes.length ? tf.sum(x, axes) : x, labels: kept }
    }
    const l = sumAway(a, left, right)
    const r = sumAway(b, right, left)
    const batch = [...l.labels].filter((label) => r.labels.includes(label) && output.includes(label))
    const contracted = [...l.labels].filter((label) => r.labels.includes(label) && !output.includes(label))
    const leftFree = [...l.labels].filter((label) => !r.labels.includes(label))
    const rightFree = [...r.labels].filter((label) => !l.labels.includes(label))
    const sizes = new Map<string, number>()
    ;[...l.labels].forEach((label, axis) => sizes.set(label, l.x.shape[axis]))
    ;[...r.labels].forEach((label, axis) => sizes.set(label, r.x.shape[axis]))
    const size = (labels: string[]) => labels.reduce((product, label) => product * (sizes.get(label) ?? 1), 1)
    const arrange = (x: tf.Tensor, labels: string, order: string[], rows: string[], columns: string[]) =>
      arranged(
        x,
        order.map((label) => labels.indexOf(label)),
        [size(batch), size(rows), size(columns)]
      )
    const product = this.product(
      arrange(l.x, l.labels, [...batch, ...leftFree, ...contracted], leftFree, contracted),
      arrange(r.x, r.labels, [...batch, ...contracted, ...rightFree], contracted, rightFree)
    )
    const produced = [...batch, ...leftFree, ...rightFree]
    const shaped = tf.reshape(
      product,
      produced.map((label) => sizes.get(label) as number)
    )
    return permute(
      shaped,
      [...output].map((label) => produced.indexOf(label))
    )
  }

  /**
   * A float mask (1 where a == b): tfjs's broadcasting Equal and Select take wasm's generic slow path, a
   * broadcasting Sub and an Equal against a scalar do not.
   */
  override equal(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.cast(tf.equal(tf.sub(a, b), 0), 'float32')
  }

  /** condition (a mask from `equal`) ? t : e, as e + mask (t - e). */
  override select(condition: tf.Tensor, t: tf.Tensor, e: tf.Tensor): tf.Tensor {
    return tf.add(e, tf.mul(condition, tf.sub(t, e)))
  }

  override sign(x: tf.Tensor): tf.Tensor {
    return tf.sign(x)
  }

  override sum(x: tf.Tensor, axes: number[], keepDims: boolean): tf.Tensor {
    return tf.sum(x, axes, keepDims)
  }

  /** As `split` where that reads x once (tfjs's Unpack is one Slice a piece). */
  override unstack(x: tf.Tensor, axis: number): tf.Tensor[] {
    if (x.size < largeSplit || !x.shape.slice(0, axis).every((length) => length === 1))
      return tf.unstack(x, axis)
    const shape = x.shape.filter((_, i) => i !== axis)
    return this.split(x, Array<number>(x.shape[axis] as number).fill(1), axis).map((piece) =>
      tf.reshape(piece, shape)
    )
  }

  /**
   * One slice a piece (wasm runs tfjs's SplitV as slices with more work around them); pieces that lie one after
   * another in memory of a large x are cut from one read of it instead, because wasm's Slice copies its whole
   * input out of the heap before it takes its piece (n pieces of the flat Adam vector were n copies of it).
   */
  override split(x: tf.Tensor, sizes: number[], axis: number): tf.Tensor[] {
    const shapeOf = (size: number) => x.shape.map((length, i) => (i === axis ? size : length))
    const contiguous = x.shape.slice(0, axis).every((length) => length === 1)
    if (contiguous && sizes.length > 1 && x.size >= largeSplit) {
      const values = x.dataSync() as Float32Array
      const inner = x.size / (x.shape[axis] as number)
      let offset = 0
      return sizes.map((size) => {
        const piece = tf.tensor(
          values.subarray(offset * inner, (offset + size) * inner),
          shapeOf(size),
          x.dtype
        )
        offset += size
        return piece
      })
    }
    let begin = 0
    return sizes.map((size) => {
      const start = x.shape.map((_, i) => (i === axis ? begin : 0))
      begin += size
      return tf.slice(x, start, shapeOf(size))
    })
  }

  override stackAlong(parts: tf.Tensor[], axis: number): tf.Tensor {
    return tf.stack(parts, axis)
  }

  override relu(x: tf.Tensor): tf.Tensor {
    return tf.relu(x)
  }

  override reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return tf.mul(dy, tf.step(y))
  }

  override biasAdd(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    return tf.add(x, bias)
  }

  override biasAddGrad(dy: tf.Tensor): tf.Tensor {
    return tf.sum(
      dy,
      dy.shape.slice(0, -1).map((_, axis) => axis)
    )
  }

  override slice(x: tf.Tensor, begin: number[], size: number[]): tf.Tensor {
    return tf.slice(x, begin, size)
  }

  override concat(parts: tf.Tensor[], axis: number): tf.Tensor {
    return parts.length === 1 ? parts[0] : tf.concat(parts, axis)
  }

  override padSteps(x: tf.Tensor, before: number, after: number): tf.Tensor {
    if (before === 0 && after === 0) return x
    return tf.pad(x, [
      [0, 0],
      [0, 0],
      [before, after],
      [0, 0]
    ])
  }

  /** The taps of x [G, B, T, C] padded along T: [G, B * T', k * C], tap-major columns, T' the output's steps. */
  private columns(
    x: tf.Tensor,
    taps: number,
    { dilation, padBefore, padAfter }: ConvolutionGeometry
  ): tf.Tensor {
    const [groups, batch, steps, channels] = x.shape
    const outputSteps = steps + padBefore + padAfter - (taps - 1) * dilation
    const padded = this.padSteps(x, padBefore, padAfter)
    const shifted = Array.from({ length: taps }, (_, tap) =>
      tap * dilation === padBefore && outputSteps === steps
        ? x
        : tf.slice(padded, [0, 0, tap * dilation, 0], [groups, batch, outputSteps, channels])
    )
    return tf.reshape(this.concat(shifted, 3), [groups, batch * outputSteps, taps * channels])
  }

  /**
   * x [1, B, T, G*C] by filter [1, k, C, G*F]. conv2d: the backend's Conv2D, the padding and dilation its own;
   * groups as one block-diagonal filter (few groups) or one Conv2D a group. columns: all groups as one batched
   * matMul, [1, B, T, G*C] viewed as [G, B, T, C] and the filter as [G, k*C, F].
   */
  override convolve(x: tf.Tensor, filter: tf.Tensor, geometry: ConvolutionGeometry): tf.Tensor {
    const [, batch, steps, groupedInputs] = x.shape
    const [, taps, inputs, groupedOutputs] = filter.shape
    const groups = groupedInputs / inputs
    if (groups <= this.conv2dGroups) return this.backendConvolution(x, filter, geometry)
    const outputs = groupedOutputs / groups
    const outputSteps = steps + geometry.padBefore + geometry.padAfter - (taps - 1) * geometry.dilation
    const perGroup =
      groups === 1 ? x : tf.transpose(tf.reshape(x, [batch, steps, groups, inputs]), [2, 0, 1, 3])
    const kernel =
      groups === 1
        ? tf.reshape(filter, [1, taps * inputs, outputs])
        : tf.reshape(tf.transpose(tf.reshape(filter, [taps, inputs, groups, outputs]), [2, 0, 1, 3]), [
            groups,
            taps * inputs,
            outputs
          ])
    const product = this.product(this.columns(perGroup, taps, geometry), kernel)
    if (groups === 1) return tf.reshape(product, [1, batch, outputSteps, outputs])
    return tf.reshape(
      tf.transpose(tf.reshape(product, [groups, batch, outputSteps, outputs]), [1, 2, 0, 3]),
      [1, batch, outputSteps, groupedOutputs]
    )
  }

  private backendConvolution(x: tf.Tensor, filter: tf.Tensor, geometry: ConvolutionGeometry): tf.Tensor {
    const [, , inputs, groupedOutputs] = filter.shape
    const groups = (x.shape[3] as number) / inputs
    const outputs = groupedOutputs / groups
    const convolution = (input: tf.Tensor, kernel: tf.Tensor) =>
      tf.conv2d(
        input as tf.Tensor4D,
        kernel as tf.Tensor4D,
        1,
        [
          [0, 0],
          [0, 0],
          [geometry.padBefore, geometry.padAfter],
          [0, 0]
        ],
        'NHWC',
        [1, geometry.dilation]
      )
    if (groups === 1) return convolution(x, filter)
    if (groups <= blockDiagonalGroups)
      return convolution(
        x,
        // A concat of copies rather than tf.tile, which wasm runs many times slower.
        tf.mul(
          tf.concat(Array<tf.Tensor>(groups).fill(filter), 2),
          blockDiagonalMask(groups, inputs, outputs)
        )
      )
    const filters = this.split(filter, Array<number>(groups).fill(outputs), 3)
    if (x.size < largeSplit) {
      const parts = this.split(x, Array<number>(groups).fill(inputs), 3)
      return tf.concat(
        parts.map((part, group) => convolution(part, filters[group])),
        3
      )
    }
    // Group-major, so that every group's input and output is one block of memory (wasm's Slice and Concat
    // copy whole operands on other axes).
    const [, batch, steps] = x.shape
    const perGroup = tf.transpose(tf.reshape(x, [batch * steps, groups, inputs]), [1, 0, 2])
    const parts = this.split(perGroup, Array<number>(groups).fill(1), 0)
    const outputsPerGroup = parts.map((part, group) =>
      convolution(tf.reshape(part, [1, batch, steps, inputs]), filters[group])
    )
    const outputSteps = outputsPerGroup[0].shape[2]
    return tf.reshape(tf.transpose(tf.concat(outputsPerGroup, 0), [1, 2, 0, 3]), [
      1,
      batch,
      outputSteps,
      groups * outputs
    ])
  }

  /**
   * The filter gradients of every pair of x's and dy's channels at once, [C, k, F]: dW[j, c, f] = sum over b, t
   * of x_padded[b, t + j d, c] dy[b, t, f] is a Conv2D of x as C images [1, T, B] (B channels) with dy as a
   * filter [1, T', B, F], stride d along time: its k outputs are the k taps. x [1, B, T, C], dy [1, B, T', F].
   */
  private filterGradientConvolution(dy: tf.Tensor, x: tf.Tensor, geometry: ConvolutionGeometry): tf.Tensor {
    const [, batch, steps, channels] = x.shape
    const [, , outputSteps, outputs] = dy.shape
    const images = tf.reshape(tf.transpose(tf.reshape(x, [batch, steps, channels]), [2, 1, 0]), [
      channels,
      1,
      steps,
      batch
    ])
    const filter = tf.reshape(tf.transpose(tf.reshape(dy, [batch, outputSteps, outputs]), [1, 0, 2]), [
      1,
      outputSteps,
      batch,
      outputs
    ])
    const out = tf.conv2d(
      images as tf.Tensor4D,
      filter as tf.Tensor4D,
      [1, geometry.dilation],
      [
        [0, 0],
        [0, 0],
        [geometry.padBefore, geometry.padAfter],
        [0, 0]
      ]
    )
    const taps = out.shape[2]
    return tf.reshape(out, [channels, taps, outputs])
  }

  override convolveFilterGradient(
    dy: tf.Tensor,
    x: tf.Tensor,
    taps: number,
    geometry: ConvolutionGeometry
  ): tf.Tensor {
    if (this.conv2dGroups >= 1) {
      const gradient = tf.transpose(this.filterGradientConvolution(dy, x, geometry), [1, 0, 2])
      return tf.reshape(gradient, [1, taps, x.shape[3] as number, dy.shape[3] as number])
    }
    const [, batch, outputSteps, outputs] = dy.shape
    const product = this.product(
      tf.reshape(this.columns(x, taps, geometry), [batch * outputSteps, taps * (x.shape[3] as number)]),
      tf.reshape(dy, [batch * outputSteps, outputs]),
      true,
      false
    )
    return tf.reshape(product, [1, taps, x.shape[3] as number, outputs])
  }

  /** All groups' filter gradients as one batched matMul of the columns against dy. */
  override convolveGroupedFilterGradient(
    dy: tf.Tensor,
    x: tf.Tensor,
    groups: number,
    taps: number,
    geometry: ConvolutionGeometry
  ): tf.Tensor {
    const [, batch, steps, groupedInputs] = x.shape
    const [, , outputSteps, groupedOutputs] = dy.shape
    const inputs = groupedInputs / groups
    const outputs = groupedOutputs / groups
    if (groups <= Math.min(this.conv2dGroups, blockDiagonalGroups)) {
      // Every input channel against every output channel; group g's filter is the diagonal block (g, g).
      const all = this.filterGradientConvolution(dy, x, geometry)
      if (groups === 1) return tf.reshape(tf.transpose(all, [1, 0, 2]), [1, 1, taps, inputs, outputs])
      const diagonal = tf.sum(
        tf.mul(tf.reshape(all, [groups, inputs, taps, groups, outputs]), groupDiagonal(groups)),
        3
      )
      return tf.reshape(tf.transpose(diagonal, [0, 2, 1, 3]), [groups, 1, taps, inputs, outputs])
    }
    const toGroups = (t: tf.Tensor, length: number, channels: number) =>
      groups === 1 ? t : tf.transpose(tf.reshape(t, [batch, length, groups, channels]), [2, 0, 1, 3])
    const product = this.product(
      this.columns(toGroups(x, steps, inputs), taps, geometry),
      tf.reshape(toGroups(dy, outputSteps, outputs), [groups, batch * outputSteps, outputs]),
      true,
      false
    )
    return tf.reshape(product, [groups, 1, taps, inputs, outputs])
  }

  /** "Same" convolutions over axis 1 of [B, H, 1, C] (the only form the passes use), as `convolve` over H. */
  private sameGeometry(taps: number): ConvolutionGeometry {
    return { dilation: 1, padBefore: (taps - 1) >> 1, padAfter: taps >> 1 }
  }

  override convolveSame(x: tf.Tensor, filter: tf.Tensor): tf.Tensor {
    const [batch, rows, width, channels] = x.shape as number[]
    const [taps, , inputs, outputs] = filter.shape
    if (width !== 1) throw new Error('TfjsOps.convolveSame: only [B, H, 1, C] inputs')
    const out = this.convolve(
      tf.reshape(x, [1, batch, rows, channels]),
      tf.reshape(filter, [1, taps, inputs, outputs]),
      this.sameGeometry(taps)
    )
    return tf.reshape(out, [batch, rows, 1, outputs])
  }

  override convolveSameFilterGradient(x: tf.Tensor, filterShape: number[], dy: tf.Tensor): tf.Tensor {
    const [batch, rows, , channels] = x.shape as number[]
    const taps = filterShape[0]
    const gradient = this.convolveFilterGradient(
      tf.reshape(dy, [1, batch, rows, dy.shape[3] as number]),
      tf.reshape(x, [1, batch, rows, channels]),
      taps,
      this.sameGeometry(taps)
    )
    return tf.reshape(gradient, filterShape)
  }

  override convolveSameInputGradient(inputShape: number[], filter: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    const [batch, rows, , channels] = inputShape
    const [taps, , inputs, outputs] = filter.shape
    const gradient = this.convolveInputGradient(
      tf.reshape(dy, [1, batch, rows, dy.shape[3] as number]),
      tf.reshape(filter, [1, taps, inputs, outputs]),
      1,
      this.sameGeometry(taps)
    )
    return tf.reshape(gradient, [batch, rows, 1, channels])
  }
}
