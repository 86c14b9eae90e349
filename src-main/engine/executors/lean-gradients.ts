import * as tf from '@tensorflow/tfjs'

/**
 * Gradients of Relu, Add, Sub and Multiply with no kernel that does nothing. Native TensorFlow runs every tfjs
 * kernel through its binding (~12-16 µs each, and Reshape also uploads a shape tensor), while tfjs's gradients
 * reshape dy to a shape it already has (Add, Sub) and cast float32 to float32 (Multiply): about 150 needless
 * kernels per training step of the paper model. The arithmetic is unchanged.
 *
 * ReLU's gradient is one kernel where the backend has one. tfjs's own is mul(dy, step(cast(x))), and
 * tfjs-node builds `step` from isNaN, greater, ones, fill, where and select: about nine native kernels per
 * ReLU in every training step (the paper model has 13 ReLUs). Native TensorFlow has ReluGrad; elsewhere the
 * gradient is dy * step(x), without the cast of an input that is float32 already.
 * registerLeanGradients() registers them for the whole process (the layers' and tfjs-layers' ops alike).
 */
const reluGradKernel = 'EmohealReluGrad'

interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number }
  executeSingleOutput(name: string, attributes: unknown[], inputs: tf.TensorInfo[]): tf.TensorInfo
}

/** dy summed over the axes broadcasting added, shaped as the input; no kernel where there is nothing to do. */
function reduceTo(gradient: tf.Tensor, shape: number[], outputShape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, outputShape)
  const reduced = axes.length > 0 ? tf.sum(gradient, axes) : gradient
  return tf.util.arraysEqual(reduced.shape, shape) ? reduced : tf.reshape(reduced, shape)
}

const asFloat = (x: tf.Tensor) => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'))

/**
 * Sigmoid's and tanh's gradients from their outputs in one native kernel (SigmoidGrad, TanhGrad) where
 * TensorFlow runs: tfjs's are dy * y * (1 - y) and dy * (1 - y²), three kernels and a scalar upload each,
 * and the GRU has two of them per time step and direction group (about 80 kernels a native-rate step).
 */
const outputGradientKernels = { Sigmoid: 'EmohealSigmoidGrad', Tanh: 'EmohealTanhGrad' } as const

/**
 * Sigmoid and tanh gradients from their saved output y: TensorFlow's own one-kernel gradient on native,
 * the same arithmetic in tfjs ops elsewhere.
 */
function registerOutputGradient(
  kernelName: typeof tf.Sigmoid | typeof tf.Tanh,
  nativeKernel: string,
  fromOutput: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor
): void {
  tf.registerGradient({
    kernelName,
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [y] = saved
      const gradient = dy as tf.Tensor
      return {
        x: () =>
          tf.getBackend() === 'tensorflow' && y.dtype === 'float32'
            ? (tf.engine().runKernel(nativeKernel, { dy: gradient, y }) as tf.Tensor)
            : fromOutput(gradient, y)
      }
    }
  })
}

let registered = false

/** Registers these kernels and gradients for the whole process, once; backend setup calls it. */
export function registerLeanGradients(): void {
  if (registered) return
  registered = true
  tf.registerKernel({
    kernelName: reluGradKernel,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend }) => {
      const native = backend as unknown as NativeBackend
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo }
      const type = { name: 'T', type: native.binding.TF_ATTR_TYPE, value: native.binding.TF_FLOAT }
      return native.executeSingleOutput('ReluGrad', [type], [dy, x])
    }
  })
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [x] = saved
      const gradient = dy as tf.Tensor
      return {
        x: () =>
          tf.getBackend() === 'tensorflow' && x.dtype === 'float32'
            ? (tf.engine().runKernel(reluGradKernel, { dy: gradient, x }) as tf.Tensor)
            : tf.mul(gradient, tf.step(x.dtype === 'float32' ? x : tf.cast(x, 'float32')))
      }
    }
  })
  tf.registerGradient({
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, b] = saved
      const gradient = dy as tf.Tensor
      const outputShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
      return {
        a: () => reduceTo(gradient, a.shape, outputShape),
        b: () => reduceTo(gradient, b.shape, outputShape)
      }
    }
  })
  tf.registerGradient({
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, b] = saved
      const gradient = dy as tf.Tensor
      const outputShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
      return {
        a: () => reduceTo(gradient, a.shape, outputShape),
        b: () => tf.neg(reduceTo(gradient, b.shape, outputShape))
      }
    }
  })
  tf.registerGradient({
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, b] = saved
      const gradient = dy as tf.Tensor
      const outputShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
      return {
        a: () => reduceTo(tf.mul(gradient, asFloat(b)), a.shape, outputShape),
        b: () => reduceTo(tf.mul(gradient, asFloat(a)), b.shape, outputShape)
      }
    }
  })
  for (const [operation, kernelName] of Object.entries(outputGradientKernels)) {
    tf.registerKernel({
      kernelName,
      backendName: 'tensorflow',
      kernelFunc: ({ inputs, backend }) => {
        const native = backend as unknown as NativeBackend
        const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo }
        const type = { name: 'T', type: native.binding.TF_ATTR_TYPE, value: native.binding.TF_FLOAT }
        return native.executeSingleOutput(`${operation}Grad`, [type], [y, dy])
      }
    })
  }
  registerOutputGradient(tf.Sigmoid, outputGradientKernels.Sigmoid, (dy, y) =>
    tf.mul(dy, tf.mul(y, tf.sub(1, y)))
  )
  registerOutputGradient(tf.Tanh, outputGradientKernels.Tanh, (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y))))
}
