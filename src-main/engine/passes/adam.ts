import type { Operand, TensorOps } from '../ops/tensor-ops'

/**
 * One Adam update over all weights as one flat vector (PyTorch's Adam with L2 weight decay, not AdamW):
 * g += decay · w; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; w -= size · m / (sqrt(v) + ε), with the bias
 * corrections folded into `size` and ε by the caller. A pass with no backward: the optimizer runs it forward.
 */
export interface AdamShape {
  /** Each weight's element count and shape, in the order of the gradients. */
  sizes: number[]
  shapes: number[][]
  beta1: number
  beta2: number
  /** 0: none. */
  weightDecay: number
  /** Whether a per-element decay vector (weightDecay where the weight has a gradient, else 0) is given. */
  decayMask: boolean
}

/**
 * operands: every weight's gradient, then the flat weights, first and second moments, step size and ε (as
 * scalars), then the decay vector where `decayMask`. Returns the flat weights, the two moments, then every
 * weight in its own shape.
 */
export function adamUpdate<H extends Operand>(ops: TensorOps<H>, operands: H[], shape: AdamShape): H[] {
  const { sizes, shapes, beta1, beta2, weightDecay, decayMask } = shape
  const count = sizes.length
  const [weights, first, second, size, epsilon] = operands.slice(count, count + 5)
  let gradient = ops.concat(
    operands.slice(0, count).map((g, index) => ops.reshape(g, [sizes[index]])),
    0
  )
  if (weightDecay > 0)
    gradient = ops.add(
      gradient,
      ops.mul(weights, decayMask ? operands[count + 5] : ops.floatScalar(weightDecay))
    )
  const newFirst = ops.add(
    ops.mul(first, ops.floatScalar(beta1)),
    ops.mul(gradient, ops.floatScalar(1 - beta1))
  )
  const newSecond = ops.add(
    ops.mul(second, ops.floatScalar(beta2)),
    ops.mul(ops.mul(gradient, gradient), ops.floatScalar(1 - beta2))
  )
  const updated = ops.sub(weights, ops.mul(ops.div(newFirst, ops.add(ops.sqrt(newSecond), epsilon)), size))
  const pieces = ops.split(updated, sizes, 0)
  return [updated, newFirst, newSecond, ...pieces.map((piece, index) => ops.reshape(piece, shapes[index]))]
}
