import * as tf from '@tensorflow/tfjs'
import { withNativeScope } from './native-ops'

/**
 * A causal, dilated 1-D convolution with bias as single native TensorFlow ops, forward and backward.
 * tfjs has no gradient for a dilated conv2d and tfjs-node passes no explicit padding, so the portable form
 * is pad -> spaceToBatchND -> conv2d -> batchToSpaceND -> add bias: five kernels forward and about as many
 * backward, each a call through the binding, and the broadcasting Add of the bias is slow in TensorFlow.
 * TensorFlow's own Conv2D takes the dilation and the causal padding (padding EXPLICIT); its CPU backprop ops
 * refuse dilations, so each gradient is one tfjs kernel of a few native ops (below); BiasAdd/BiasAddGrad are
 * its fast bias kernels. Native TensorFlow only; exact (the engine tests compare values and gradients with
 * finite differences and with wasm).
 * Layout: x [1, B, T, C] is NHWC with the batch as rows; filter [1, k, C, F]; bias [F].
 */
const convolutionKernel = 'EmohealCausalConv'
const inputGradientKernel = 'EmohealCausalConvInputGradient'
const filterGradientKernel = 'EmohealCausalConvFilterGradient'
const biasGradientKernel = 'EmohealBiasAddGrad'

interface CausalAttributes {
  dilation: number
  padBefore: number
  padAfter: number
}

function attributesOf(attrs: tf.NamedAttrMap | undefined): CausalAttributes {
  return attrs as unknown as CausalAttributes
}

// Each kernel is a few native ops through a NativeScope (shared with the fused layers), one tfjs kernel to tfjs.
tf.registerKernel({
  kernelName: convolutionKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs }) => {
    const { x, filter, bias } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias: tf.TensorInfo }
    return withNativeScope((scope) =>
      scope.toTensor(scope.biasAdd(scope.convolve(x, filter, attributesOf(attrs)), bias))
    )
  }
})

tf.registerKernel({
  kernelName: inputGradientKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo }
    return withNativeScope((scope) =>
      scope.toTensor(scope.convolveInputGradient(dy, filter, 1, attributesOf(attrs)))
    )
  }
})

tf.registerKernel({
  kernelName: filterGradientKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs }) => {
    const { dy, x, filter } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; filter: tf.TensorInfo }
    return withNativeScope((scope) =>
      scope.toTensor(scope.convolveFilterGradient(dy, x, filter.shape[1], attributesOf(attrs)))
    )
  }
})

tf.registerKernel({
  kernelName: biasGradientKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs }) =>
    withNativeScope((scope) => scope.toTensor(scope.biasAddGrad(inputs.dy as tf.TensorInfo)))
})

tf.registerGradient({
  kernelName: convolutionKernel,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved
    const gradient = dy as tf.Tensor
    const engine = tf.engine()
    return {
      x: () => engine.runKernel(inputGradientKernel, { dy: gradient, x, filter }, attrs) as tf.Tensor,
      filter: () => engine.runKernel(filterGradientKernel, { dy: gradient, x, filter }, attrs) as tf.Tensor,
      bias: () => engine.runKernel(biasGradientKernel, { dy: gradient }, {}) as tf.Tensor
    }
  }
})

/**
 * out[b, t] = bias + sum over taps j of filter[j] . x[b, t - padBefore + j * dilation], zeros outside.
 * x [1, B, T, C], filter [1, k, C, F], bias [F] -> [1, B, T + padBefore + padAfter - (k-1)d, F].
 */
export function nativeCausalConvolution(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  attributes: CausalAttributes
): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(
      convolutionKernel,
      { x, filter, bias },
      attributes as unknown as tf.NamedAttrMap
    ) as tf.Tensor4D
}
