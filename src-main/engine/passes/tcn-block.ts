import type { LayerPass } from '../ops/pass'
import type { ConvolutionGeometry, Operand, TensorOps } from '../ops/tensor-ops'
import { attentionBackward, attentionForward, type AttentionShape } from './channel-spatial-attention'
import { biasGradient, causalGeometry, groupedFilter, groupedFilterGradient } from './grouped-convolution'

/**
 * A whole TCN residual block (conv -> ReLU -> dropout -> conv -> ReLU -> dropout, ReLU(out + residual), the
 * residual through a 1x1 convolution where the channel count changes; the paper's in-block channel and
 * spatial attention before the residual sum) as one pass, forward and backward. Through tfjs
 * the block was 64 kernels per training step (110 with two groups) and 12-18 ms at the native-rate model's
 * shapes, most of it per-operation overhead; here it is about 16 native operations forward and 40 backward
 * (one TensorFlow function each where the binding registers them), the backward written out by hand.
 * Groups run as TensorFlow's grouped convolution (the input's channels are G blocks), so the layer's
 * [B, T, G*C] layout is the convolution's NHWC layout as it is, with no transposes.
 * The engine tests compare it with the op-by-op block (test/engine/reference/) and with finite differences.
 */

export interface TcnBlockShape {
  groups: number
  kernelSize: number
  dilation: number
  /** Dropout rate after each convolution; 0 outside training. */
  dropout: number
}

export interface BlockWeights<H> {
  firstKernel: H
  firstBias: H
  secondKernel: H
  secondBias: H
  downsampleKernel: H | null
  downsampleBias: H | null
  /** In-block channel and spatial attention (the paper's blocks): [first, second, spatial kernel] or null. */
  attention: H[] | null
}

export interface BlockGeometry {
  groups: number
  kernelSize: number
  causal: ConvolutionGeometry
  pointwise: ConvolutionGeometry
  attention: AttentionShape | null
}

/** The forward pass saves this many operands before the attention's own. */
const savedBeforeAttention = (downsample: boolean) => (downsample ? 8 : 7)

/**
 * The forward pass, written once for both executors. x [B, T, G*C]; masks [1, B, T, G*F] or null. Returns the
 * output [B, T, G*F] and what the backward pass needs, in `backwardBody`'s order.
 */
export function tcnBlockForward<H extends Operand>(
  ops: TensorOps<H>,
  x: H,
  weights: BlockWeights<H>,
  masks: H[] | null,
  attentionConstants: H[],
  { groups, kernelSize, causal, pointwise, attention }: BlockGeometry
): { value: H; saved: H[] } {
  const [batch, steps, groupedInputs] = x.shape
  const groupedOutputs = groups * weights.firstKernel.shape[2]
  const x4 = ops.reshape(x, [1, batch, steps, groupedInputs])
  const convolve = (input: H, kernel: H, bias: H, taps: number, geometry: ConvolutionGeometry) => {
    const filter = groupedFilter(ops, kernel, groups, taps)
    return {
      filter,
      out: ops.biasAdd(ops.convolve(input, filter, geometry), ops.reshape(bias, [groupedOutputs]))
    }
  }
  const first = convolve(x4, weights.firstKernel, weights.firstBias, kernelSize, causal)
  const firstActivation = ops.relu(first.out)
  const firstOut = masks ? ops.mul(firstActivation, masks[0]) : firstActivation
  const second = convolve(firstOut, weights.secondKernel, weights.secondBias, kernelSize, causal)
  const secondActivation = ops.relu(second.out)
  const secondOut = masks ? ops.mul(secondActivation, masks[1]) : secondActivation
  // As published: channel then spatial attention on the block's output, before the residual sum.
  const attended =
    attention && weights.attention
      ? attentionForward(
          ops,
          [ops.reshape(secondOut, [batch, steps, groupedOutputs]), ...weights.attention],
          attentionConstants,
          attention
        )
      : null
  const downsample =
    weights.downsampleKernel && weights.downsampleBias
      ? convolve(x4, weights.downsampleKernel, weights.downsampleBias, 1, pointwise)
      : null
  const blockOut = attended ? ops.reshape(attended.value, secondOut.shape) : secondOut
  const activation = ops.relu(ops.add(blockOut, downsample ? downsample.out : x4))
  const saved = [x4, first.filter, second.filter, firstActivation, firstOut, secondActivation, activation]
  if (downsample) saved.push(downsample.filter)
  if (attended) saved.push(...attended.saved)
  return { value: ops.reshape(activation, [batch, steps, groupedOutputs]), saved }
}

/** Gradients of the input and of every weight, in the block function's input order. */
function backwardBody<H extends Operand>(
  ops: TensorOps<H>,
  dy: H,
  saved: H[],
  masks: H[] | null,
  attentionConstants: H[],
  inputShape: number[],
  downsample: boolean,
  { groups, kernelSize, causal, pointwise, attention }: BlockGeometry
): H[] {
  const [x4, firstFilter, secondFilter, firstActivation, firstOut, secondActivation, activation] = saved
  const downsampleFilter = downsample ? saved[7] : null
  const dSum = ops.reluGrad(ops.reshape(dy, activation.shape), activation)
  let dSecondOut = dSum
  let attentionGradients: H[] = []
  if (attention) {
    const [batch, steps] = inputShape
    const [dAttended, ...weightGradients] = attentionBackward(
      ops,
      ops.reshape(dSum, [batch, steps, dSum.shape[3]]),
      saved.slice(savedBeforeAttention(downsample)),
      attentionConstants,
      attention
    )
    dSecondOut = ops.reshape(dAttended, dSum.shape)
    attentionGradients = weightGradients
  }
  const dSecond = ops.reluGrad(masks ? ops.mul(dSecondOut, masks[1]) : dSecondOut, secondActivation)
  const dFirstOut = ops.convolveInputGradient(dSecond, secondFilter, groups, causal)
  const dFirst = ops.reluGrad(masks ? ops.mul(dFirstOut, masks[0]) : dFirstOut, firstActivation)
  let dx4 = ops.convolveInputGradient(dFirst, firstFilter, groups, causal)
  const gradients = [
    groupedFilterGradient(ops, dFirst, x4, groups, kernelSize, causal),
    biasGradient(ops, dFirst, groups),
    groupedFilterGradient(ops, dSecond, firstOut, groups, kernelSize, causal),
    biasGradient(ops, dSecond, groups)
  ]
  if (downsampleFilter) {
    dx4 = ops.add(dx4, ops.convolveInputGradient(dSum, downsampleFilter, groups, pointwise))
    gradients.push(
      groupedFilterGradient(ops, dSum, x4, groups, 1, pointwise),
      biasGradient(ops, dSum, groups)
    )
  } else {
    dx4 = ops.add(dx4, dSum)
  }
  return [ops.reshape(dx4, inputShape), ...gradients, ...attentionGradients]
}

/**
 * The pass over [x, first kernel, first bias, second kernel, second bias, (downsample kernel, bias), (the
 * attention's three weights)]; extras: the two dropout masks [1, B, T, G*F] where dropout > 0, then the
 * attention's constants.
 */
export function tcnBlockPass(
  shape: TcnBlockShape,
  downsample: boolean,
  attention: AttentionShape | null
): LayerPass {
  const { groups, kernelSize, dilation, dropout } = shape
  const geometry: BlockGeometry = {
    groups,
    kernelSize,
    causal: causalGeometry(kernelSize, dilation),
    pointwise: causalGeometry(1, 1),
    attention
  }
  const maskCount = dropout > 0 ? 2 : 0
  return {
    key: `tcn-block ${JSON.stringify(shape)} ${downsample} ${attention ? JSON.stringify(attention.phases) : 'none'}`,
    forward: (ops, [x, firstKernel, firstBias, secondKernel, secondBias, ...rest], extras) =>
      tcnBlockForward(
        ops,
        x,
        {
          firstKernel,
          firstBias,
          secondKernel,
          secondBias,
          downsampleKernel: downsample ? rest[0] : null,
          downsampleBias: downsample ? rest[1] : null,
          attention: attention ? rest.slice(downsample ? 2 : 0) : null
        },
        maskCount ? extras.slice(0, maskCount) : null,
        extras.slice(maskCount),
        geometry
      ),
    backward: (ops, dy, saved, extras) => {
      const [, batch, steps, groupedInputs] = saved[0].shape
      return backwardBody(
        ops,
        dy,
        saved,
        maskCount ? extras.slice(0, maskCount) : null,
        extras.slice(maskCount),
        [batch, steps, groupedInputs],
        downsample,
        geometry
      )
    }
  }
}
