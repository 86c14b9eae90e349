import * as tf from '@tensorflow/tfjs'

/**
 * a [G, M, K] x b [G, K, N] -> [G, M, N] in the form that is fastest on the backend in use. Native TensorFlow
 * runs a batched matMul well, as one kernel. The wasm backend runs it ~10x slower than the same work as G
 * plain 2-D matMuls, and a matMul with a transposed operand (as in tfjs's own gradient) 4-5x slower than an
 * explicit transpose and a plain matMul: there it is G 2-D matMuls with a gradient built the same way.
 */
export function groupedMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const perGroup = form === 'per-group' || (form === 'auto' && tf.getBackend() === 'wasm')
  if (!perGroup || a.rank !== 3 || b.rank !== 3) return tf.matMul(a, b)
  return matMulAsPlainProducts(a, b)
}

export type GroupedMatMulForm = 'auto' | 'batched' | 'per-group'

let form: GroupedMatMulForm = 'auto'

/** 'auto' (the default) picks by backend as above; the others force one form, for tests and measurements. */
export function setGroupedMatMulForm(value: GroupedMatMulForm): void {
  form = value
}

function plainProducts(left: tf.Tensor[], right: tf.Tensor[]): tf.Tensor {
  return tf.stack(left.map((matrix, group) => tf.matMul(matrix as tf.Tensor2D, right[group] as tf.Tensor2D)))
}

const transposeEach = (matrices: tf.Tensor[]) => matrices.map((matrix) => tf.transpose(matrix))

const matMulAsPlainProducts = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b])
  return {
    value: plainProducts(tf.unstack(a), tf.unstack(b)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved
      const gradients = tf.unstack(dy)
      // dA = dy Bᵀ, dB = Aᵀ dy, with the transposes explicit.
      return [
        plainProducts(gradients, transposeEach(tf.unstack(savedB))),
        plainProducts(transposeEach(tf.unstack(savedA)), gradients)
      ]
    }
  }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor
