import * as tf from '@tensorflow/tfjs'

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

interface NativeBackend {
  binding: {
    TF_ATTR_TYPE: number
    TF_ATTR_INT: number
    TF_ATTR_STRING: number
    TF_ATTR_BOOL: number
    TF_FLOAT: number
  }
  executeSingleOutput(name: string, attributes: unknown[], inputs: tf.TensorInfo[]): tf.TensorInfo
  disposeData(dataId: object): boolean
}

interface CausalAttributes {
  dilation: number
  padBefore: number
  padAfter: number
}

function convolutionAttributes(native: NativeBackend, attrs: CausalAttributes): unknown[] {
  const { binding } = native
  return [
    { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'strides', type: binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: 'use_cudnn_on_gpu', type: binding.TF_ATTR_BOOL, value: true },
    { name: 'padding', type: binding.TF_ATTR_STRING, value: 'EXPLICIT' },
    {
      name: 'explicit_paddings',
      type: binding.TF_ATTR_INT,
      value: [0, 0, 0, 0, attrs.padBefore, attrs.padAfter, 0, 0]
    },
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'dilations', type: binding.TF_ATTR_INT, value: [1, 1, attrs.dilation, 1] }
  ]
}

function biasAttributes(native: NativeBackend): unknown[] {
  const { binding } = native
  return [
    { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' }
  ]
}

function attributesOf(attrs: tf.NamedAttrMap | undefined): CausalAttributes {
  return attrs as unknown as CausalAttributes
}

tf.registerKernel({
  kernelName: convolutionKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const native = backend as unknown as NativeBackend
    const { x, filter, bias } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias: tf.TensorInfo }
    const convolved = native.executeSingleOutput(
      'Conv2D',
      convolutionAttributes(native, attributesOf(attrs)),
      [x, filter]
    )
    try {
      return native.executeSingleOutput('BiasAdd', biasAttributes(native), [convolved, bias])
    } finally {
      native.disposeData(convolved.dataId)
    }
  }
})

/**
 * TensorFlow's CPU Conv2DBackpropInput refuses dilations, but the input gradient is itself a dilated
 * correlation: dx[s] = sum_j W[j]^T dy[s + P - j d], so a forward Conv2D of dy with the filter reversed over
 * its taps and transposed (C <-> F), padded (k-1)d - P before and (k-1)d - A after.
 */
tf.registerKernel({
  kernelName: inputGradientKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const native = backend as unknown as NativeBackend
    const { binding } = native
    const { dy, filter } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; filter: tf.TensorInfo }
    const { dilation, padBefore, padAfter } = attributesOf(attrs)
    const span = (filter.shape[1] - 1) * dilation
    const type = { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }
    const axis = tf.tensor1d([1], 'int32')
    const permutation = tf.tensor1d([0, 1, 3, 2], 'int32')
    const reversed = native.executeSingleOutput(
      'ReverseV2',
      [type, { name: 'Tidx', type: binding.TF_ATTR_TYPE, value: 3 /* TF_INT32 */ }],
      [filter, axis]
    )
    const transposed = native.executeSingleOutput(
      'Transpose',
      [type, { name: 'Tperm', type: binding.TF_ATTR_TYPE, value: 3 /* TF_INT32 */ }],
      [reversed, permutation]
    )
    try {
      return native.executeSingleOutput(
        'Conv2D',
        convolutionAttributes(native, { dilation, padBefore: span - padBefore, padAfter: span - padAfter }),
        [dy, transposed]
      )
    } finally {
      native.disposeData(reversed.dataId)
      native.disposeData(transposed.dataId)
      axis.dispose()
      permutation.dispose()
    }
  }
})

/**
 * Conv2DBackpropFilter refuses dilations on CPU, and with padding EXPLICIT it corrupted the heap (glibc aborts
 * within a few hundred calls, oneDNN on or off), so it gets padded input and padding VALID. Dilation d: x and
 * dy padded to a multiple of d and split by spaceToBatchND into d interleaved sequences, on which the taps
 * are consecutive: an undilated backprop. (A strided Conv2D of x by dy was exact but 3x slower.) All inside
 * this one kernel, so tfjs sees one call.
 */
tf.registerKernel({
  kernelName: filterGradientKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const native = backend as unknown as NativeBackend
    const { binding } = native
    const { dy, x, filter } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; filter: tf.TensorInfo }
    const { dilation, padBefore, padAfter } = attributesOf(attrs)
    const type = { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }
    const int32 = (name: string) => ({ name, type: binding.TF_ATTR_TYPE, value: 3 /* TF_INT32 */ })
    const constants: tf.Tensor[] = []
    const temporaries: tf.TensorInfo[] = []
    const constant = (values: number[], shape: number[]) => {
      const tensor = tf.tensor(values, shape, 'int32')
      constants.push(tensor)
      return tensor
    }
    const run = (name: string, attributes: unknown[], operands: tf.TensorInfo[]) => {
      const result = native.executeSingleOutput(name, attributes, operands)
      temporaries.push(result)
      return result
    }
    const pad = (tensor: tf.TensorInfo, before: number, after: number) =>
      before === 0 && after === 0
        ? tensor
        : run(
            'Pad',
            [type, int32('Tpaddings')],
            [tensor, constant([0, 0, 0, 0, before, after, 0, 0], [4, 2])]
          )
    try {
      const paddedSteps = x.shape[2] + padBefore + padAfter
      const extra = dilation > 1 ? (dilation - (paddedSteps % dilation)) % dilation : 0
      let input = pad(x, padBefore, padAfter + extra)
      let gradient = pad(dy, 0, extra)
      if (dilation > 1) {
        const blocks = constant([1, dilation], [2])
        const noCrops = constant([0, 0, 0, 0], [2, 2])
        const split = (tensor: tf.TensorInfo) =>
          run('SpaceToBatchND', [type, int32('Tblock_shape'), int32('Tpaddings')], [tensor, blocks, noCrops])
        input = split(input)
        gradient = split(gradient)
      }
      const attributes = [
        type,
        { name: 'strides', type: binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
        { name: 'use_cudnn_on_gpu', type: binding.TF_ATTR_BOOL, value: true },
        { name: 'padding', type: binding.TF_ATTR_STRING, value: 'VALID' },
        { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' },
        { name: 'dilations', type: binding.TF_ATTR_INT, value: [1, 1, 1, 1] }
      ]
      return native.executeSingleOutput('Conv2DBackpropFilter', attributes, [
        input,
        constant(filter.shape, [4]),
        gradient
      ])
    } finally {
      for (const temporary of temporaries) native.disposeData(temporary.dataId)
      tf.dispose(constants)
    }
  }
})

tf.registerKernel({
  kernelName: biasGradientKernel,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, backend }) => {
    const native = backend as unknown as NativeBackend
    return native.executeSingleOutput('BiasAddGrad', biasAttributes(native), [inputs.dy as tf.TensorInfo])
  }
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
