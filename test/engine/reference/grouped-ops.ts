import * as tf from '@tensorflow/tfjs'
import { spatialKernelSize } from '../../../src-main/engine/passes/channel-spatial-attention'

/**
 * The op-by-op form of the TCN's convolution and the attention, in plain tfjs ops with tfjs's own gradients:
 * the oracle the passes (src-main/engine/passes/) are checked against. Grouped tensor operations as the
 * custom layers ran them before the passes. A "group" is one independent branch (one sensor);
 * G branches with the same length and channel count run as one computation, because this model is so small
 * that the per-kernel overhead, not the arithmetic, sets the speed.
 *
 * Layer tensors are [B, T, G*C] (group-major features); inside, the grouped layout is [G, B, T, C] so that
 * every convolution is one batched matMul over groups.
 */

/** [B, T, G*C] -> [G, B, T, C] */
export function toGroups(x: tf.Tensor, groups: number): tf.Tensor4D {
  const [batch, steps, features] = x.shape
  const channels = features / groups
  // One group has the same memory order in both layouts: a reshape, not a transposing copy.
  if (groups === 1) return tf.reshape(x, [1, batch, steps, channels])
  return tf.transpose(tf.reshape(x, [batch, steps, groups, channels]), [2, 0, 1, 3])
}

/** [G, B, T, C] -> [B, T, G*C] */
export function fromGroups(x: tf.Tensor): tf.Tensor3D {
  const [groups, batch, steps, channels] = x.shape
  if (groups === 1) return tf.reshape(x, [batch, steps, channels])
  return tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [batch, steps, groups * channels])
}

export interface GroupedConvolutionShape {
  kernelSize: number
  dilation: number
  /** Zeros added before the first step: (k-1)*d for a causal convolution. */
  padBefore: number
  padAfter: number
}

/**
 * A grouped 1-D convolution from pad, slice and one batched matMul (im2col over the k taps), because tfjs has
 * no gradient for dilated conv1d and its wasm backend no convolution backprop at all.
 * x [G, B, T, Cin], kernel [G, k*Cin, Cout] with row j*Cin + c holding tap j of input channel c (tap j reads
 * step t + j*d of the padded input, as PyTorch's weight[:, c, j] does), bias [G, Cout] or null.
 */
export function groupedConvolution(
  x: tf.Tensor4D,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  shape: GroupedConvolutionShape
): tf.Tensor4D {
  const [groups, batch, steps, inputChannels] = x.shape
  const outputChannels = kernel.shape[2] as number
  const { kernelSize, dilation, padBefore, padAfter } = shape
  const outputSteps = steps + padBefore + padAfter - (kernelSize - 1) * dilation
  let columns: tf.Tensor
  if (kernelSize === 1 && padBefore === 0 && padAfter === 0) {
    columns = x
  } else {
    const padded = tf.pad(x, [
      [0, 0],
      [0, 0],
      [padBefore, padAfter],
      [0, 0]
    ])
    const taps: tf.Tensor[] = []
    for (let tap = 0; tap < kernelSize; tap++) {
      // The tap that reads step t itself (a causal convolution's last) is x: no slice, and no pad in its gradient.
      const unshifted = tap * dilation === padBefore && outputSteps === steps
      taps.push(
        unshifted
          ? x
          : tf.slice(padded, [0, 0, tap * dilation, 0], [groups, batch, outputSteps, inputChannels])
      )
    }
    columns = taps.length === 1 ? taps[0] : tf.concat(taps, 3)
  }
  const flat = tf.reshape(columns, [groups, batch * outputSteps, kernelSize * inputChannels])
  let out: tf.Tensor = tf.matMul(flat, kernel)
  if (bias) out = tf.add(out, tf.reshape(bias, [groups, 1, outputChannels]))
  return tf.reshape(out, [groups, batch, outputSteps, outputChannels])
}

export function causalShape(kernelSize: number, dilation: number): GroupedConvolutionShape {
  return { kernelSize, dilation, padBefore: (kernelSize - 1) * dilation, padAfter: 0 }
}

const maxFunctions = new Map<number, (x: tf.Tensor) => tf.Tensor>()

/**
 * max over one axis, keeping the axis, with a gradient mask computed as equal(x - max, 0): tfjs's own gradient
 * of max compares with broadcasting, a generic path that cost 28% of a training step on wasm.
 * Ties share the gradient, as in tfjs's own gradient.
 */
export function maxKeepingAxis(x: tf.Tensor, axis: number): tf.Tensor {
  let fn = maxFunctions.get(axis)
  if (!fn) {
    const maxWithMask = (input: tf.Tensor, save: tf.GradSaveFunc) => {
      const maximum = tf.max(input, axis, true)
      save([input, maximum])
      return {
        value: maximum,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [savedInput, savedMaximum] = saved
          const mask = tf.cast(tf.equal(tf.sub(savedInput, savedMaximum), 0), 'float32')
          return tf.mul(mask, dy)
        }
      }
    }
    fn = tf.customGrad(maxWithMask as unknown as Parameters<typeof tf.customGrad>[0]) as (
      x: tf.Tensor
    ) => tf.Tensor
    maxFunctions.set(axis, fn)
  }
  return fn(x)
}

/**
 * Channel attention per group (CBAM): average- and max-pool over time, a shared MLP without bias
 * (C -> hidden -> C, ReLU between), the two summed, sigmoid, multiplied into x.
 * x [G, B, T, C]; firstLayer [G, C, hidden]; secondLayer [G, hidden, C].
 */
export function groupedChannelAttention(
  x: tf.Tensor4D,
  firstLayer: tf.Tensor,
  secondLayer: tf.Tensor
): tf.Tensor4D {
  const [groups, batch, , channels] = x.shape
  const hidden = firstLayer.shape[2] as number
  const average = tf.mean(x, 2)
  const maximum = tf.reshape(maxKeepingAxis(x, 2), [groups, batch, channels])
  const pooled = tf.concat([average, maximum], 1)
  const hiddenActivations = tf.relu(tf.matMul(pooled, firstLayer))
  // The second layer is linear without bias, so MLP(avg) + MLP(max) = W2 (relu(W1 avg) + relu(W1 max)).
  const summed = tf.sum(tf.reshape(hiddenActivations, [groups, 2, batch, hidden]), 1)
  const weights = tf.sigmoid(tf.matMul(summed, secondLayer))
  return tf.mul(x, tf.reshape(weights, [groups, batch, 1, channels]))
}

const spatialSelections = new Map<number, Float32Array>()

/**
 * The constant that turns the spatial kernel into a banded (Toeplitz) matrix over time: row k of [7*2, 2T*T]
 * marks where kernel entry k = j*2 + c lands, at row s*2 + c and column t with s = t + j - 3 ("same" padding:
 * taps outside the window fall off the band).
 */
function spatialSelection(steps: number): Float32Array {
  let selection = spatialSelections.get(steps)
  if (!selection) {
    const half = (spatialKernelSize - 1) / 2
    const columns = 2 * steps * steps
    selection = new Float32Array(spatialKernelSize * 2 * columns)
    for (let t = 0; t < steps; t++) {
      for (let tap = 0; tap < spatialKernelSize; tap++) {
        const source = t + tap - half
        if (source < 0 || source >= steps) continue
        for (let c = 0; c < 2; c++) selection[(tap * 2 + c) * columns + (source * 2 + c) * steps + t] = 1
      }
    }
    spatialSelections.set(steps, selection)
  }
  return selection
}

/**
 * Spatial attention per group (CBAM along time): channel-wise mean and max stacked as 2 channels, a "same"
 * convolution 2 -> 1 of kernel 7 without bias, sigmoid, multiplied into x. kernel [G, 7*2, 1].
 * On short windows the convolution is one matMul with a banded matrix built from the kernel (itself one matMul
 * with a constant): a handful of kernels where pad, seven slices and a concat, and their gradients, take ~30.
 */
export function groupedSpatialAttention(x: tf.Tensor4D, kernel: tf.Tensor): tf.Tensor4D {
  const average = tf.mean(x, 3, true)
  const maximum = maxKeepingAxis(x, 3)
  const stacked = tf.concat([average, maximum], 3) as tf.Tensor4D
  const logits =
    x.shape[2] <= bandedSpatialMaxSteps
      ? bandedSpatialConvolution(stacked, kernel)
      : groupedConvolution(stacked, kernel, null, {
          kernelSize: spatialKernelSize,
          dilation: 1,
          padBefore: (spatialKernelSize - 1) / 2,
          padAfter: (spatialKernelSize - 1) / 2
        })
  return tf.mul(x, tf.sigmoid(logits))
}

/**
 * Up to this length the banded matrix (2T x T per group) is cheaper than the sliced convolution; beyond it
 * the matMul's T² work and the constant's size grow past what the saved kernels are worth.
 */
const bandedSpatialMaxSteps = 64

/** stacked [G, B, T, 2], kernel [G, 7*2, 1] -> logits [G, B, T, 1] through the banded matrix. */
function bandedSpatialConvolution(stacked: tf.Tensor4D, kernel: tf.Tensor): tf.Tensor4D {
  const [groups, batch, steps] = stacked.shape
  const taps = spatialKernelSize * 2
  const selection = tf.tensor2d(spatialSelection(steps), [taps, 2 * steps * steps])
  const banded = tf.reshape(tf.matMul(tf.reshape(kernel, [groups, taps]), selection), [
    groups,
    2 * steps,
    steps
  ])
  const flat = tf.reshape(stacked, [groups, batch, steps * 2])
  return tf.reshape(tf.matMul(flat, banded), [groups, batch, steps, 1])
}
