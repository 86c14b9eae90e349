import * as tf from '@tensorflow/tfjs'
import { cachedConstant } from './constants'
import type { TfjsNodeBackend } from './eager-ops'

/**
 * Reshape on native TensorFlow with the target shape's int32 tensor made once per shape and kept: tfjs-node's
 * own kernel builds and uploads that small tensor at every call, and a training step of the paper model runs
 * over two hundred reshapes (measured 29 -> 22 µs each). registerCachedReshape() replaces the kernel once
 * tfjs-node has registered its own, that is, once the 'tensorflow' backend is in use (backend setup calls it).
 */
function dtypeCode(backend: TfjsNodeBackend, dtype: string): number {
  const { binding } = backend
  if (dtype === 'int32') return binding.TF_INT32
  if (dtype === 'bool') return binding.TF_BOOL
  return binding.TF_FLOAT
}

let installed = false

export function registerCachedReshape(): void {
  if (installed || tf.getBackend() !== 'tensorflow') return
  installed = true
  if (!tf.getKernel(tf.Reshape, 'tensorflow')) return
  tf.unregisterKernel(tf.Reshape, 'tensorflow')
  tf.registerKernel({
    kernelName: tf.Reshape,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const tensorflow = backend as unknown as TfjsNodeBackend
      const { x } = inputs as { x: tf.TensorInfo }
      const shape = tf.util.inferFromImplicitShape(
        (attrs as unknown as { shape: number[] }).shape,
        tf.util.sizeFromShape(x.shape)
      )
      const attributes = [
        { name: 'T', type: tensorflow.binding.TF_ATTR_TYPE, value: dtypeCode(tensorflow, x.dtype) },
        { name: 'Tshape', type: tensorflow.binding.TF_ATTR_TYPE, value: tensorflow.binding.TF_INT32 }
      ]
      return tensorflow.executeSingleOutput(tf.Reshape, attributes, [
        x,
        cachedConstant(shape, [shape.length], 'int32')
      ])
    }
  })
}
