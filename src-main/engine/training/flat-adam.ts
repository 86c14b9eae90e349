import * as tf from '@tensorflow/tfjs'
import { executionPolicyFor } from '../runtime/execution-policy'
import { executePass, type ExecutorChoice } from '../executors/run-pass'
import { adamUpdate } from '../passes/adam'

export interface FlatAdamOptions {
  learningRate: number
  /** PyTorch-style L2: g += weightDecay * w before the moments (not AdamW). Default 0. */
  weightDecay?: number
  beta1?: number
  beta2?: number
  /** Added to sqrt(v̂), as PyTorch's eps (default 1e-8; tf.train.adam uses 1e-7). */
  epsilon?: number
}

/**
 * Adam over one flat concatenation of all weights: the moments and the update are a dozen kernels on one long
 * vector instead of a dozen per weight tensor (~480 kernels for the paper model's 37 tensors, each costing
 * ~12 µs of binding overhead on native TensorFlow). Same arithmetic as PyTorch's Adam with L2 weight decay:
 * m = β1 m + (1-β1) g, v = β2 v + (1-β2) g², w -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε).
 * A variable that never has a gradient (as the paper model's recurrent kernels on a sequence of one step) never
 * moves, as in PyTorch, which skips a parameter whose grad is None: its gradient counts as 0 and its weight
 * decay is masked, so its moments and update stay 0. (One with a gradient in some steps only would still take
 * momentum steps in the others, where PyTorch would skip it.)
 */
/** As one TensorFlow function where the backend's policy records them; else tfjs kernels, on one long vector. */
function flatAdamExecutor(): ExecutorChoice {
  return executionPolicyFor().executor === 'graph' ? { executor: 'graph' } : { executor: 'tfjs' }
}

export class FlatAdam {
  /** Read at every step; a schedule may change it between steps. */
  learningRate: number
  readonly weightDecay: number
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  private readonly sizes: number[]
  private readonly total: number
  private first: tf.Variable
  private second: tf.Variable
  /** The weights as one vector, kept in step with the variables; rebuilt when someone else assigns one. */
  private flatWeights: tf.Variable | null = null
  private assignedDataIds: unknown[] = []
  private steps = 0
  private readonly presenceMasks = new Map<string, tf.Tensor1D>()
  private readonly zeroGradients = new Map<number, tf.Tensor1D>()

  /** 'graph' where the binding registers functions; elsewhere tfjs ops (one tape-free kernel each). */
  private readonly executor: ExecutorChoice

  constructor(
    private readonly variables: tf.Variable[],
    options: FlatAdamOptions,
    executor: ExecutorChoice = flatAdamExecutor()
  ) {
    this.executor = executor
    this.learningRate = options.learningRate
    this.weightDecay = options.weightDecay ?? 0
    this.beta1 = options.beta1 ?? 0.9
    this.beta2 = options.beta2 ?? 0.999
    this.epsilon = options.epsilon ?? 1e-8
    this.sizes = variables.map((variable) => variable.size)
    this.total = this.sizes.reduce((sum, size) => sum + size, 0)
    this.first = tf.variable(tf.zeros([this.total]), false)
    this.second = tf.variable(tf.zeros([this.total]), false)
  }

  get iterations(): number {
    return this.steps
  }

  /** One update from gradients keyed by variable name, as tf.variableGrads returns them. */
  step(gradients: Record<string, tf.Tensor>): void {
    this.steps++
    const { beta1, beta2, epsilon } = this
    const firstCorrection = 1 - beta1 ** this.steps
    const secondCorrection = Math.sqrt(1 - beta2 ** this.steps)
    // lr/bc1 · m / (sqrt(v)/sqrt(bc2) + ε) = (lr·sqrt(bc2)/bc1) · m / (sqrt(v) + ε·sqrt(bc2))
    const stepSize = (this.learningRate * secondCorrection) / firstCorrection
    this.update(gradients, stepSize, epsilon * secondCorrection)
  }

  /**
   * The whole update (passes/adam.ts): as one TensorFlow function where the binding registers them (the
   * flattening, moments, update and the split back into the weights' shapes, where op by op the reshapes
   * alone were 138 binding calls a step for the native-rate model), else as tfjs ops.
   */
  private update(gradients: Record<string, tf.Tensor>, stepSize: number, epsilon: number): void {
    const { beta1, beta2, weightDecay } = this
    tf.tidy(() => {
      const missing = this.variables.map((variable) => !gradients[variable.name])
      const flatWeights = this.currentFlatWeights()
      const decay =
        weightDecay > 0 && missing.some(Boolean) ? tf.mul(this.presenceMask(missing), weightDecay) : null
      const operands: tf.Tensor[] = [
        ...this.variables.map((variable, index) =>
          missing[index] ? this.zeros(index) : gradients[variable.name]
        ),
        flatWeights,
        this.first,
        this.second,
        tf.scalar(stepSize),
        tf.scalar(epsilon),
        ...(decay ? [decay] : [])
      ]
      const shape = {
        sizes: this.sizes,
        shapes: this.variables.map((variable) => variable.shape),
        beta1,
        beta2,
        weightDecay,
        decayMask: decay !== null
      }
      const key = `adam ${beta1} ${beta2} ${weightDecay} ${decay !== null} ${operands.map((operand) => operand.shape.join('x')).join(';')}`
      const [updated, first, second, ...pieces] = executePass(this.executor, key, operands, (ops, args) =>
        adamUpdate(ops, args, shape)
      )
      this.first.assign(first)
      this.second.assign(second)
      flatWeights.assign(updated)
      this.variables.forEach((variable, index) => {
        variable.assign(pieces[index])
        this.assignedDataIds[index] = variable.dataId
      })
    })
  }

  /** The flat copy of the weights; rebuilt where a variable changed outside this optimizer (setWeights). */
  private currentFlatWeights(): tf.Variable {
    const stale =
      !this.flatWeights ||
      this.variables.some((variable, index) => variable.dataId !== this.assignedDataIds[index])
    if (stale) {
      const flat = tf.tidy(() => tf.concat(this.variables.map((variable) => tf.reshape(variable, [-1]))))
      if (this.flatWeights) this.flatWeights.assign(flat)
      else this.flatWeights = tf.variable(flat, false)
      flat.dispose()
      this.assignedDataIds = this.variables.map((variable) => variable.dataId)
    }
    return this.flatWeights as tf.Variable
  }

  private zeros(index: number): tf.Tensor1D {
    const cached = this.zeroGradients.get(index)
    if (cached) return cached
    const zeros = tf.keep(tf.zeros([this.sizes[index]]) as tf.Tensor1D)
    this.zeroGradients.set(index, zeros)
    return zeros
  }

  private presenceMask(missing: boolean[]): tf.Tensor1D {
    const key = missing.map((absent) => (absent ? '0' : '1')).join('')
    let mask = this.presenceMasks.get(key)
    if (!mask) {
      const values = new Float32Array(this.total)
      let offset = 0
      missing.forEach((absent, index) => {
        if (!absent) values.fill(1, offset, offset + this.sizes[index])
        offset += this.sizes[index]
      })
      mask = tf.keep(tf.tensor1d(values))
      this.presenceMasks.set(key, mask)
    }
    return mask
  }

  dispose(): void {
    this.first.dispose()
    this.second.dispose()
    this.flatWeights?.dispose()
    for (const mask of this.presenceMasks.values()) mask.dispose()
    this.presenceMasks.clear()
    for (const zeros of this.zeroGradients.values()) zeros.dispose()
    this.zeroGradients.clear()
  }
}
