import type { Operand, TensorOps } from './tensor-ops'

/**
 * A layer's forward and backward pass, each written once against TensorOps: an executor runs them
 * (executors/run-pass.ts runs one as a tfjs custom-gradient node; a recorder may trace them instead).
 */
export interface LayerPass {
  /** Identifies the computation apart from the operands' shapes (which are added to it). */
  key: string
  /**
   * inputs: the differentiable operands; extras: constants or masks with no gradient. Returns the value and
   * what the backward needs (inputs among them where it needs them).
   */
  forward<H extends Operand>(ops: TensorOps<H>, inputs: H[], extras: H[]): { value: H; saved: H[] }
  /** The gradient of every input, in order. */
  backward<H extends Operand>(ops: TensorOps<H>, dy: H, saved: H[], extras: H[]): H[]
}
