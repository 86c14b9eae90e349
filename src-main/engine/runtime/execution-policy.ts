import * as tf from '@tensorflow/tfjs'
import { registerCachedReshape } from '../executors/cached-reshape'
import { graphFunctionsPresent } from '../executors/graph-ops'
import { registerLeanGradients } from '../executors/lean-gradients'
import type { ExecutorChoice } from '../executors/run-pass'

/**
 * How the model's layer passes run on the backend in use, decided once where the backend is chosen
 * (backend.ts's useBackend) and handed to the model builders: as TensorFlow functions where the binding
 * registers them, op by op through tfjs-node's binding on native TensorFlow without that patch, and as plain
 * tfjs ops on wasm and cpu. A model loaded from disk, built without a policy, takes the one of the backend
 * in use when it runs.
 */
export interface ExecutionPolicy extends ExecutorChoice {
  readonly backend: string
}

/** The policy for `backend` (the backend in use by default). */
export function executionPolicyFor(backend: string = tf.getBackend()): ExecutionPolicy {
  if (backend === 'tensorflow' || backend === 'tensorflow-gpu') {
    return { backend, executor: graphFunctionsPresent() ? 'graph' : 'eager' }
  }
  // wasm runs a batched matMul several times slower than the same work as plain 2-D matMuls, and its
  // Conv2D (XNNPACK) several times faster than a convolution written as slices, a concat and a matMul; the
  // cpu backend's Conv2D beats those on the native-rate model's ungrouped convolutions only.
  const wasm = backend === 'wasm'
  return { backend, executor: 'tfjs', plainMatMuls: wasm, convolutions: wasm ? 'conv2d' : 'ungrouped-conv2d' }
}

/** The executor a layer runs its pass with: its policy's, or the backend in use's. */
export function passExecutor(policy: ExecutionPolicy | undefined): ExecutorChoice {
  return policy ?? executionPolicyFor()
}

/**
 * The engine's replacements of tfjs kernels and gradients (executors/lean-gradients.ts, and on native
 * TensorFlow executors/cached-reshape.ts), registered for the process where a backend is chosen
 * (backend.ts's useBackend) instead of as a side effect of importing a layer. Idempotent.
 */
export function registerKernelOverrides(backend: string = tf.getBackend()): void {
  registerLeanGradients()
  if (backend === 'tensorflow') registerCachedReshape()
}
