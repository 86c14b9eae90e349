import * as tf from '@tensorflow/tfjs'

const constants = new Map<string, tf.Tensor>()
const made = new WeakSet<tf.TensorInfo>()

/** Whether the tensor is one keptConstant made (an executor may cache what it derives from it). */
export function isKeptConstant(tensor: tf.TensorInfo): boolean {
  return made.has(tensor)
}

/**
 * A constant operand made once per key and kept (shapes, axes, scalars, expansion matrices): on native
 * TensorFlow uploading even a small tensor is a binding call at every use.
 */
export function keptConstant(key: string, make: () => tf.Tensor): tf.Tensor {
  let tensor = constants.get(key)
  if (!tensor || tensor.isDisposed) {
    tensor = tf.keep(make())
    constants.set(key, tensor)
    made.add(tensor)
  }
  return tensor
}

export function cachedConstant(values: number[], shape: number[], dtype: 'int32' | 'float32'): tf.Tensor {
  return keptConstant(`${dtype}:${shape.join('x')}:${values.join(',')}`, () =>
    tf.tensor(values, shape, dtype)
  )
}
