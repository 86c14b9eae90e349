import * as tf from '@tensorflow/tfjs'

/**
 * Inverted dropout, as tf.dropout, with the uniform noise drawn by native TensorFlow where it runs: tfjs draws
 * it in JavaScript and uploads it, which took ~4 ms of a 60 ms training step of the paper model (six masks of
 * 32x20x125). Elsewhere the noise comes from tf.randomUniform.
 */
const randomUniformKernel = 'EmohealRandomUniform'

interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_INT: number; TF_FLOAT: number; TF_INT32: number }
  executeSingleOutput(name: string, attributes: unknown[], inputs: tf.TensorInfo[]): tf.TensorInfo
}

tf.registerKernel({
  kernelName: randomUniformKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ backend, attrs }) => {
    const native = backend as unknown as NativeBackend
    const { binding } = native
    const shape = tf.tensor1d((attrs as unknown as { shape: number[] }).shape, 'int32')
    try {
      return native.executeSingleOutput(
        'RandomUniform',
        [
          { name: 'seed', type: binding.TF_ATTR_INT, value: 0 },
          { name: 'seed2', type: binding.TF_ATTR_INT, value: 0 },
          { name: 'dtype', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
          { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 }
        ],
        [shape]
      )
    } finally {
      shape.dispose()
    }
  }
})

function uniformNoise(shape: number[]): tf.Tensor {
  if (tf.getBackend() === 'tensorflow')
    return tf
      .engine()
      .runKernel(randomUniformKernel, {}, { shape } as unknown as tf.NamedAttrMap) as tf.Tensor
  return tf.randomUniform(shape)
}

/** x * floor(u + keep) / keep with u ~ U[0, 1): each element kept with probability 1 - rate, scaled up. */
export function dropout(x: tf.Tensor, rate: number): tf.Tensor {
  if (rate <= 0) return x
  const keep = 1 - rate
  return tf.tidy(() => tf.mul(x, tf.div(tf.floor(tf.add(uniformNoise(x.shape), keep)), keep)))
}
