import * as tf from '@tensorflow/tfjs'
import type { AttrValue } from '../ops/attributes'
import { TensorOps, type ConvolutionGeometry } from '../ops/tensor-ops'
import { cachedConstant, isKeptConstant } from './constants'

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

/**
 * TensorOps as plain tfjs ops, for the backends without TensorFlow's own kernels (wasm, cpu): each operation is
 * one or a few tfjs kernels in the current tidy scope. The convolutions are written as shifted slices and
 * matMuls (im2col) and the einsums as transposes and one batched matMul, because the wasm backend has no
 * Conv2DBackpropFilter, no Einsum and no grouped or explicitly padded convolution. Every method overrides
 * the TensorFlow op the base class would emit, so `emit` is never reached.
 */
export class TfjsOps extends TensorOps<tf.Tensor> {
  /**
   * plainMatMuls: every batched product as one 2-D matMul per batch entry, transposes explicit. The wasm
   * backend runs a batched matMul several times slower than the same work as plain 2-D matMuls, and one with
   * a transposed operand slower than an explicit transpose and a plain matMul.
   */
  constructor(private readonly plainMatMuls = false) {
    super()
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
    const left = transposeA ? swap(a) : a
    const right = transposeB ? swap(b) : b
    if (left.rank === 2 && right.rank === 2) return tf.matMul(left as tf.Tensor2D, right as tf.Tensor2D)
    if (left.rank !== 3 || right.rank !== 3 || left.shape[0] !== right.shape[0]) return tf.matMul(left, right)
    if (left.shape[0] === 1)
      return tf.expandDims(
        tf.matMul(tf.squeeze(left, [0]) as tf.Tensor2D, tf.squeeze(right, [0]) as tf.Tensor2D),
        0
      )
    const rights = tf.unstack(right)
    return tf.stack(
      tf.unstack(left).map((matrix, i) => tf.matMul(matrix as tf.Tensor2D, rights[i] as tf.Tensor2D))
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

  override broadcastTo(x: tf.Tensor, shape: number[]): tf.Tensor {
    return tf.broadcastTo(x, shape)
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

  override unstack(x: tf.Tensor, axis: number): tf.Tensor[] {
    return tf.unstack(x, axis)
  }

  override split(x: tf.Tensor, sizes: number[], axis: number): tf.Tensor[] {
    return tf.split(x, sizes, axis)
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

  /** All groups as one batched matMul: [1, B, T, G*C] is viewed as [G, B, T, C], the filter as [G, k*C, F]. */
  override convolve(x: tf.Tensor, filter: tf.Tensor, geometry: ConvolutionGeometry): tf.Tensor {
    const [, batch, steps, groupedInputs] = x.shape
    const [, taps, inputs, groupedOutputs] = filter.shape
    const groups = groupedInputs / inputs
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

  override convolveFilterGradient(
    dy: tf.Tensor,
    x: tf.Tensor,
    taps: number,
    geometry: ConvolutionGeometry
  ): tf.Tensor {
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
