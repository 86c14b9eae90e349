import type { LayerPass } from '../ops/pass'
import type { ConvolutionGeometry, Operand, TensorOps } from '../ops/tensor-ops'

/**
 * The grouped, dilated causal 1-D convolution the TCN is made of. Weights are kept as kernel [G, k*C, F] (row
 * j*C + c: tap j of input channel c, which reads step t - (k-1-j)d, as PyTorch's weight[:, c, j]) and bias
 * [G, F]; groups run as TensorFlow's grouped convolution (the input's channels are G blocks), so the layer's
 * [B, T, G*C] layout is the convolution's NHWC layout [1, B, T, G*C] as it is, with no transposes.
 */

/**
 * kernel [G, k*C, F] (row j*C + c: tap j of input channel c) -> the filter [1, k, C, G*F] of a grouped Conv2D.
 */
export function groupedFilter<H extends Operand>(
  scope: TensorOps<H>,
  kernel: H,
  groups: number,
  taps: number
): H {
  const [, rows, outputs] = kernel.shape
  const inputs = rows / taps
  if (groups === 1) return scope.reshape(kernel, [1, taps, inputs, outputs])
  const perGroup = scope.reshape(kernel, [groups, taps, inputs, outputs])
  return scope.reshape(scope.transpose(perGroup, [1, 2, 0, 3]), [1, taps, inputs, groups * outputs])
}

/** The filter gradient of a grouped convolution in the kernel's layout [G, k*C, F]. */
export function groupedFilterGradient<H extends Operand>(
  scope: TensorOps<H>,
  dy: H,
  x: H,
  groups: number,
  taps: number,
  geometry: ConvolutionGeometry
): H {
  const stacked = scope.convolveGroupedFilterGradient(dy, x, groups, taps, geometry)
  return scope.reshape(stacked, [groups, taps * (x.shape[3] / groups), dy.shape[3] / groups])
}

export function biasGradient<H extends Operand>(scope: TensorOps<H>, dy: H, groups: number): H {
  return scope.reshape(scope.biasAddGrad(dy), [groups, dy.shape[3] / groups])
}

/** The causal geometry of k taps d apart: (k-1)d zeros before the first step. */
export function causalGeometry(kernelSize: number, dilation: number): ConvolutionGeometry {
  return { dilation, padBefore: (kernelSize - 1) * dilation, padAfter: 0 }
}

export interface CausalConvolutionShape {
  groups: number
  kernelSize: number
  dilation: number
}

/** The pass over [x [B, T, G*C], kernel, bias] -> [B, T, G*F]. */
export function causalConvolutionPass({ groups, kernelSize, dilation }: CausalConvolutionShape): LayerPass {
  const geometry = causalGeometry(kernelSize, dilation)
  return {
    key: `causal-convolution ${groups} ${kernelSize} ${dilation}`,
    forward: (ops, [x, kernel, bias]) => {
      const [batch, steps, inputs] = x.shape
      const x4 = ops.reshape(x, [1, batch, steps, inputs])
      const filter = groupedFilter(ops, kernel, groups, kernelSize)
      const outputs = filter.shape[3]
      const out = ops.biasAdd(ops.convolve(x4, filter, geometry), ops.reshape(bias, [outputs]))
      return { value: ops.reshape(out, [batch, steps, outputs]), saved: [x4, filter] }
    },
    backward: (ops, dy, [x4, filter]) => {
      const [, batch, steps, inputs] = x4.shape
      const dy4 = ops.reshape(dy, [1, batch, steps, filter.shape[3]])
      return [
        ops.reshape(ops.convolveInputGradient(dy4, filter, groups, geometry), [batch, steps, inputs]),
        groupedFilterGradient(ops, dy4, x4, groups, kernelSize, geometry),
        biasGradient(ops, dy4, groups)
      ]
    }
  }
}
