import type * as tf from '@tensorflow/tfjs'
import type { ExecutionPolicy } from '../runtime/execution-policy'
import {
  EmohealDense,
  PytorchGru,
  TcnResidualBlock,
  type EmohealDenseArgs,
  type PytorchGruArgs,
  type TcnResidualBlockArgs
} from '../layers'

export interface BuildModelOptions {
  /** Seeds every weight initialisation, for reproducible runs. */
  seed?: number
  /** How the layers' passes run (executionPolicyFor(backend) where the backend is chosen); default: the backend in use's. */
  policy?: ExecutionPolicy
  /**
   * Replaces the TCN block, the GRU or the dense layers by another layer of the same weights (the tests' op-by-op references
   * and parity-only variants); the production layers by default.
   */
  layers?: Partial<ModelLayers>
}

export interface ModelLayers {
  tcnBlock: (args: TcnResidualBlockArgs) => tf.layers.Layer
  gru: (args: PytorchGruArgs) => tf.layers.Layer
  dense: (args: EmohealDenseArgs) => tf.layers.Layer
}

/** The layers a builder makes, with the policy given to each. */
export function modelLayers(options: BuildModelOptions): ModelLayers {
  const { policy, layers } = options
  return {
    tcnBlock: layers?.tcnBlock ?? ((args) => new TcnResidualBlock({ ...args, policy })),
    gru: layers?.gru ?? ((args) => new PytorchGru({ ...args, policy })),
    dense: layers?.dense ?? ((args) => new EmohealDense({ ...args, policy }))
  }
}
