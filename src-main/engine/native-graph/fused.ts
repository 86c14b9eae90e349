import * as tf from '@tensorflow/tfjs'
import { withNativeScope, type NativeOps, type Operand } from '../layers/native-ops'
import { graphFunction, graphFunctionsAvailable } from './graph-ops'

/**
 * A layer's forward and backward pass, each written once against NativeOps, run as one tfjs custom-gradient
 * node: as two TensorFlow functions where the binding registers them (one op call each), else op by op
 * through the binding (NativeScope), still with no tfjs kernel per operation.
 */
export interface FusedPass {
  /** Identifies the computation apart from the operands' shapes (which are added to it). */
  key: string
  /**
   * inputs: the differentiable operands; extras: constants or masks with no gradient. Returns the value and
   * what the backward needs (inputs among them where it needs them).
   */
  forward<H extends Operand>(ops: NativeOps<H>, inputs: H[], extras: H[]): { value: H; saved: H[] }
  /** The gradient of every input, in order. */
  backward<H extends Operand>(ops: NativeOps<H>, dy: H, saved: H[], extras: H[]): H[]
}

const shapeKey = (tensors: tf.TensorInfo[]) => tensors.map((tensor) => tensor.shape.join('x')).join(';')

export function runFused(pass: FusedPass, inputs: tf.Tensor[], extras: tf.Tensor[] = []): tf.Tensor {
  const graph = graphFunctionsAvailable()
  const key = `${pass.key} ${shapeKey(inputs)} | ${shapeKey(extras)}`
  const forward = (...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc
    const operands = args as tf.Tensor[]
    let value: tf.Tensor
    let saved: tf.Tensor[]
    if (graph) {
      const all = [...operands, ...extras]
      const run = graphFunction(`${key} forward`, (ops) => {
        const declared = all.map((operand, i) => ops.argument(`in${i}`, operand.shape))
        const result = pass.forward(ops, declared.slice(0, operands.length), declared.slice(operands.length))
        return [result.value, ...result.saved]
      })
      ;[value, ...saved] = run(all)
    } else {
      ;({ value, saved } = withNativeScope((scope) => {
        const result = pass.forward(scope, operands, extras)
        return {
          value: scope.toTensor(result.value),
          saved: result.saved.map((info) => scope.toTensor(info))
        }
      }))
    }
    const count = saved.length
    save([...saved, ...extras])
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const savedPart = kept.slice(0, count)
        const extrasPart = kept.slice(count)
        if (graph) {
          const all = [dy, ...savedPart, ...extrasPart]
          const run = graphFunction(`${key} backward`, (ops) => {
            const [d, ...rest] = all.map((operand, i) => ops.argument(`in${i}`, operand.shape))
            return pass.backward(ops, d, rest.slice(0, count), rest.slice(count))
          })
          return run(all)
        }
        return withNativeScope((scope) =>
          pass.backward(scope, dy, savedPart, extrasPart).map((info) => scope.toTensor(info))
        )
      }
    }
  }
  const fn = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
    ...operands: tf.Tensor[]
  ) => tf.Tensor
  return fn(...inputs)
}
