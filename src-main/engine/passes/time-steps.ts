import type { Operand, TensorOps } from '../ops/tensor-ops'

/**
 * The two reshaping layers of the models, written once: the tfjs layers (layers/time-steps.ts) run them with
 * TfjsOps, whose plain tfjs ops tfjs differentiates itself, and walkModel with every other executor. They
 * have no hand-written backward: a slice, a mean and reshapes cost tfjs's autograd nothing worth replacing.
 */

/** [B, T, F] -> [B, F]: the last time step, as the published fusion reads each branch. */
export function lastTimeStep<H extends Operand>(ops: TensorOps<H>, x: H): H {
  const [batch, steps, features] = x.shape
  return ops.reshape(ops.slice(x, [0, steps - 1, 0], [batch, 1, features]), [batch, features])
}

/** [B, T, F] -> [B, steps, F], each output step the mean of T/steps consecutive input steps. */
export function averagePoolSteps<H extends Operand>(ops: TensorOps<H>, x: H, steps: number): H {
  const [batch, length, features] = x.shape
  if (length === steps) return x
  const pooled = ops.reduce('Mean', ops.reshape(x, [batch, steps, length / steps, features]), 2)
  return ops.reshape(pooled, [batch, steps, features])
}
