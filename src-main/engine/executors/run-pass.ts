import * as tf from '@tensorflow/tfjs'
import type { LayerPass } from '../ops/pass'
import type { Operand, TensorOps } from '../ops/tensor-ops'
import { isKeptConstant } from './constants'
import { withEagerOps } from './eager-ops'
import { graphFunction } from './graph-ops'
import { TfjsOps, type TfjsOpsOptions } from './tfjs-ops'

/** Which executor runs a pass's forward and backward. */
export type PassExecutor = 'graph' | 'eager' | 'tfjs'

/** An executor and its settings. */
export interface ExecutorChoice {
  readonly executor: PassExecutor
  /** tfjs only: batched matMuls as 2-D matMuls (see TfjsOpsOptions); the wasm backend's policy sets it. */
  readonly plainMatMuls?: boolean
  /** tfjs only: how convolutions are written (see TfjsOpsOptions); 'columns' unless the policy says. */
  readonly convolutions?: TfjsOpsOptions['convolutions']
}

const shapeKey = (tensors: tf.TensorInfo[]) => tensors.map((tensor) => tensor.shape.join('x')).join(';')

/**
 * Runs `side` (a forward or a backward, or any computation written against TensorOps) on tensors with the
 * executor; its results are tensors of the current scope. `key` names the computation for the graph
 * executor, which records it once per key.
 */
export function executePass(
  { executor, plainMatMuls = false, convolutions = 'columns' }: ExecutorChoice,
  key: string,
  operands: tf.Tensor[],
  side: <H extends Operand>(ops: TensorOps<H>, operands: H[]) => H[]
): tf.Tensor[] {
  if (executor === 'graph') {
    const run = graphFunction(key, (ops) =>
      side(
        ops,
        operands.map((operand, i) => ops.argument(`in${i}`, operand.shape))
      )
    )
    return run(operands)
  }
  if (executor === 'eager')
    return withEagerOps((scope) => side(scope, operands).map((info) => scope.toTensor(info)))
  return tf.tidy(() => side(new TfjsOps({ plainMatMuls, convolutions }), operands))
}

/**
 * A pass as one tfjs custom-gradient node: its forward and its hand-written backward run by the executor,
 * as two TensorFlow functions (graph: one op call each), op by op through the binding (eager: no tfjs kernel
 * per operation), or as plain tfjs ops (tfjs: any backend).
 */
export function runPass(
  executor: ExecutorChoice,
  pass: LayerPass,
  inputs: tf.Tensor[],
  extras: tf.Tensor[] = []
): tf.Tensor {
  const key = `${pass.key} ${shapeKey(inputs)} | ${shapeKey(extras)}`
  const forward = (...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc
    const operands = args as tf.Tensor[]
    const [value, ...saved] = executePass(
      executor,
      `${key} forward`,
      [...operands, ...extras],
      (ops, all) => {
        const result = pass.forward(ops, all.slice(0, operands.length), all.slice(operands.length))
        return [result.value, ...result.saved]
      }
    )
    const count = saved.length
    save([...saved, ...extras])
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) =>
        executePass(
          executor,
          `${key} backward`,
          // Kept constants are passed as they are (tfjs hands the backward its own copies of saved tensors),
          // so that an executor may recognise them.
          [
            dy,
            ...kept.slice(0, count),
            ...extras.map((extra, i) => (isKeptConstant(extra) ? extra : kept[count + i]))
          ],
          (ops, [d, ...rest]) => pass.backward(ops, d, rest.slice(0, count), rest.slice(count))
        )
    }
  }
  const fn = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
    ...operands: tf.Tensor[]
  ) => tf.Tensor
  return fn(...inputs)
}
