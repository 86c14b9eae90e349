/**
 * Plain-JS forward pass of the grouped TCN layers, for one window. Activations are row-major [T][G*C] with
 * group-major features (feature g*C + c), the layout of the tfjs layers, stored from `at` inside a buffer
 * whose values before `at` stay zero: the causal convolutions read those zeros as the steps before the first,
 * so their loops need no edge cases. Buffers are allocated once per predictor and reused by every window.
 */

export interface Activation {
  values: Float64Array
  /** Index of step 0's first value; at least (k-1)*d rows of zeros lie before it. */
  at: number
  steps: number
  groups: number
  /** Channels per group. */
  channels: number
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** Filters computed together by the convolution loop: each loaded input value serves this many products. */
const filterBlock = 4

/**
 * A grouped causal convolution's weights, laid out for the forward loop: per group, blocks of 4 filters
 * interleaved row by row ([rows][4], row tap*Cin + c), then the leftover filters one after another ([rows]).
 */
export interface Convolution {
  kernel: Float64Array
  bias: Float64Array | null
  groups: number
  kernelSize: number
  dilation: number
  inputChannels: number
  filters: number
}

/**
 * From the layer's kernel [G][k*Cin][F] (row j*Cin + c is tap j of channel c; tap j reads step
 * t - (k-1-j)*d) and bias [G][F].
 */
export function prepareConvolution(
  kernel: Float64Array,
  bias: Float64Array | null,
  groups: number,
  kernelSize: number,
  dilation: number,
  filters: number
): Convolution {
  const rows = kernel.length / (groups * filters)
  const packed = new Float64Array(kernel.length)
  const blocked = filters - (filters % filterBlock)
  let next = 0
  for (let g = 0; g < groups; g++) {
    const source = g * rows * filters
    for (let f = 0; f < blocked; f += filterBlock)
      for (let r = 0; r < rows; r++)
        for (let i = 0; i < filterBlock; i++) packed[next++] = kernel[source + r * filters + f + i]
    for (let f = blocked; f < filters; f++)
      for (let r = 0; r < rows; r++) packed[next++] = kernel[source + r * filters + f]
  }
  return {
    kernel: packed,
    bias,
    groups,
    kernelSize,
    dilation,
    inputChannels: rows / kernelSize,
    filters
  }
}

/** Rows of zeros a convolution reads before step 0. */
export function causalPadding(convolution: Convolution): number {
  return (convolution.kernelSize - 1) * convolution.dilation
}

/**
 * Grouped dilated causal convolution [T][G*Cin] -> [T][G*F] into `out` (same steps), bias and optionally
 * ReLU fused. Two steps and four filters at a time: each loaded value serves several products and eight sums
 * run independently, which keeps the loop within the CPU's registers.
 */
export function convolveInto(x: Activation, convolution: Convolution, out: Activation, relu: boolean): void {
  const { kernel, bias, groups, kernelSize, dilation, inputChannels, filters } = convolution
  const input = x.values
  const output = out.values
  const steps = x.steps
  const inputWidth = groups * inputChannels
  const outputWidth = groups * filters
  const rows = kernelSize * inputChannels
  const blocked = filters - (filters % filterBlock)
  const floor = relu ? 0 : -Infinity
  for (let g = 0; g < groups; g++) {
    const groupKernel = g * rows * filters
    for (let t = 0; t < steps; t += 2) {
      // An odd last step reads the row after it (zeros or stale values) and drops that result.
      const pair = t + 1 < steps
      const row = out.at + t * outputWidth + g * filters
      for (let f = 0; f < blocked; f += filterBlock) {
        let a0 = 0
        let a1 = 0
        let a2 = 0
        let a3 = 0
        let b0 = 0
        let b1 = 0
        let b2 = 0
        let b3 = 0
        let w = groupKernel + f * rows
        for (let tap = 0; tap < kernelSize; tap++) {
          const from = x.at + (t - (kernelSize - 1 - tap) * dilation) * inputWidth + g * inputChannels
          const end = from + inputChannels
          for (let i = from; i < end; i++, w += filterBlock) {
            const u = input[i]
            const v = input[i + inputWidth]
            const k0 = kernel[w]
            const k1 = kernel[w + 1]
            const k2 = kernel[w + 2]
            const k3 = kernel[w + 3]
            a0 += u * k0
            a1 += u * k1
            a2 += u * k2
            a3 += u * k3
            b0 += v * k0
            b1 += v * k1
            b2 += v * k2
            b3 += v * k3
          }
        }
        const at = g * filters + f
        const c0 = bias ? bias[at] : 0
        const c1 = bias ? bias[at + 1] : 0
        const c2 = bias ? bias[at + 2] : 0
        const c3 = bias ? bias[at + 3] : 0
        output[row + f] = Math.max(floor, c0 + a0)
        output[row + f + 1] = Math.max(floor, c1 + a1)
        output[row + f + 2] = Math.max(floor, c2 + a2)
        output[row + f + 3] = Math.max(floor, c3 + a3)
        if (pair) {
          output[row + outputWidth + f] = Math.max(floor, c0 + b0)
          output[row + outputWidth + f + 1] = Math.max(floor, c1 + b1)
          output[row + outputWidth + f + 2] = Math.max(floor, c2 + b2)
          output[row + outputWidth + f + 3] = Math.max(floor, c3 + b3)
        }
      }
      for (let f = blocked; f < filters; f++) {
        let a = 0
        let b = 0
        let w = groupKernel + f * rows
        for (let tap = 0; tap < kernelSize; tap++) {
          const from = x.at + (t - (kernelSize - 1 - tap) * dilation) * inputWidth + g * inputChannels
          const end = from + inputChannels
          for (let i = from; i < end; i++, w++) {
            a += input[i] * kernel[w]
            b += input[i + inputWidth] * kernel[w]
          }
        }
        const c = bias ? bias[g * filters + f] : 0
        output[row + f] = Math.max(floor, c + a)
        if (pair) output[row + outputWidth + f] = Math.max(floor, c + b)
      }
    }
  }
}

/**
 * CBAM channel attention per group: the shared bias-free MLP (first [G][C][H], second [G][H][C]) on the
 * time-average and the time-maximum, summed, sigmoid, multiplied into x (in place). `scratch` holds at
 * least 2*C + H values.
 */
export function channelAttentionInPlace(
  x: Activation,
  first: Float64Array,
  second: Float64Array,
  scratch: Float64Array
): void {
  const { steps, groups, channels, values } = x
  const width = groups * channels
  const hidden = first.length / (groups * channels)
  const average = 0
  const maximum = channels
  const hiddenSum = 2 * channels
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < channels; c++) {
      scratch[average + c] = 0
      scratch[maximum + c] = -Infinity
    }
    for (let t = 0; t < steps; t++) {
      const row = x.at + t * width + g * channels
      for (let c = 0; c < channels; c++) {
        const value = values[row + c]
        scratch[average + c] += value
        if (value > scratch[maximum + c]) scratch[maximum + c] = value
      }
    }
    for (let c = 0; c < channels; c++) scratch[average + c] /= steps
    const firstOffset = g * channels * hidden
    for (let h = 0; h < hidden; h++) {
      let fromAverage = 0
      let fromMaximum = 0
      for (let c = 0; c < channels; c++) {
        const weight = first[firstOffset + c * hidden + h]
        fromAverage += scratch[average + c] * weight
        fromMaximum += scratch[maximum + c] * weight
      }
      scratch[hiddenSum + h] = Math.max(0, fromAverage) + Math.max(0, fromMaximum)
    }
    const secondOffset = g * hidden * channels
    // The scales replace the averages, which are no longer needed.
    for (let c = 0; c < channels; c++) {
      let logit = 0
      for (let h = 0; h < hidden; h++)
        logit += scratch[hiddenSum + h] * second[secondOffset + h * channels + c]
      scratch[average + c] = sigmoid(logit)
    }
    for (let t = 0; t < steps; t++) {
      const row = x.at + t * width + g * channels
      for (let c = 0; c < channels; c++) values[row + c] *= scratch[average + c]
    }
  }
}

/** Taps of the spatial attention's "same" convolution along time. */
export const spatialKernelSize = 7

/**
 * CBAM spatial attention along time per group: channel mean and max as 2 channels, a "same" convolution of
 * kernel [G][7*2] (row j*2 + c; tap j reads step t + j - 3), sigmoid, multiplied into x (in place).
 * `scratch` holds at least 2*T values.
 */
export function spatialAttentionInPlace(x: Activation, kernel: Float64Array, scratch: Float64Array): void {
  const { steps, groups, channels, values } = x
  const width = groups * channels
  const half = (spatialKernelSize - 1) / 2
  const maximum = steps
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < steps; t++) {
      const row = x.at + t * width + g * channels
      let sum = 0
      let largest = -Infinity
      for (let c = 0; c < channels; c++) {
        const value = values[row + c]
        sum += value
        if (value > largest) largest = value
      }
      scratch[t] = sum / channels
      scratch[maximum + t] = largest
    }
    const kernelOffset = g * spatialKernelSize * 2
    for (let t = 0; t < steps; t++) {
      let logit = 0
      for (let tap = 0; tap < spatialKernelSize; tap++) {
        const source = t + tap - half
        if (source < 0 || source >= steps) continue
        logit +=
          kernel[kernelOffset + tap * 2] * scratch[source] +
          kernel[kernelOffset + tap * 2 + 1] * scratch[maximum + source]
      }
      const scale = sigmoid(logit)
      const row = x.at + t * width + g * channels
      for (let c = 0; c < channels; c++) values[row + c] *= scale
    }
  }
}

export interface BlockWeights {
  first: Convolution
  second: Convolution
  /** The 1x1 convolution on the residual path where the channel count changes. */
  downsample: Convolution | null
  attention: AttentionWeights | null
}

export interface AttentionWeights {
  channelFirst: Float64Array
  channelSecond: Float64Array
  spatial: Float64Array
}

export function attendInPlace(x: Activation, weights: AttentionWeights, scratch: Float64Array): void {
  channelAttentionInPlace(x, weights.channelFirst, weights.channelSecond, scratch)
  spatialAttentionInPlace(x, weights.spatial, scratch)
}

/** Values an attention's scratch must hold for an activation of this shape. */
export function attentionScratchLength(steps: number, channels: number): number {
  return Math.max(2 * steps, 3 * channels + 1)
}

/**
 * A stack of residual blocks over one input shape, with its activations allocated once: run() reads the
 * input written into input() and returns the last block's output, valid until the next run.
 */
export interface TcnStack {
  input: Activation
  run(): Activation
}

function paddedActivation(steps: number, groups: number, channels: number, padding: number, width: number) {
  const at = padding * width
  return { values: new Float64Array(at + (steps + 1) * width), at, steps, groups, channels }
}

/** conv -> ReLU -> conv -> ReLU -> [attention] -> ReLU(out + residual), as TcnResidualBlock at inference. */
export function createTcnStack(
  blocks: BlockWeights[],
  steps: number,
  groups: number,
  inputChannels: number
): TcnStack {
  const padding = Math.max(0, ...blocks.flatMap((block) => [block.first, block.second].map(causalPadding)))
  const filters = Math.max(inputChannels, ...blocks.map((block) => block.first.filters))
  // Every buffer has room for the widest activation, so that a zero prefix of `padding` rows holds for all.
  const width = groups * filters
  const input = paddedActivation(steps, groups, inputChannels, padding, width)
  const buffers = [0, 1, 2].map(() => paddedActivation(steps, groups, filters, padding, width))
  const residualBuffer = paddedActivation(steps, groups, filters, 0, width)
  const scratch = new Float64Array(attentionScratchLength(steps, filters))
  const shaped = (buffer: Activation, channels: number): Activation => ({ ...buffer, channels })
  // Which buffers each block uses, fixed at creation: hidden and output never alias the block's input.
  let current = -1
  let previous: Activation = input
  const plan = blocks.map((block) => {
    const hidden = current === 0 ? 1 : 0
    const output = current === -1 ? 1 : 3 - hidden - current
    const step = {
      block,
      input: previous,
      hidden: shaped(buffers[hidden], block.first.filters),
      output: shaped(buffers[output], block.second.filters),
      residual: block.downsample ? shaped(residualBuffer, block.downsample.filters) : null
    }
    current = output
    previous = step.output
    return step
  })
  return {
    input,
    run() {
      for (const { block, input: x, hidden, output: out, residual: downsampled } of plan) {
        convolveInto(x, block.first, hidden, true)
        convolveInto(hidden, block.second, out, true)
        if (block.attention) attendInPlace(out, block.attention, scratch)
        let residual = x
        if (block.downsample && downsampled) {
          convolveInto(x, block.downsample, downsampled, false)
          residual = downsampled
        }
        const values = out.values
        const from = residual.values
        const shift = residual.at - out.at
        const end = out.at + steps * groups * out.channels
        for (let i = out.at; i < end; i++) {
          const sum = values[i] + from[i + shift]
          values[i] = sum > 0 ? sum : 0
        }
      }
      return plan[plan.length - 1].output
    }
  }
}

/** [T][F] -> [steps][F] by averaging T/steps consecutive rows, written to out[outAt + s*stride + f]. */
export function averagePoolInto(
  x: Activation,
  steps: number,
  out: Float64Array,
  outAt: number,
  stride: number
) {
  const width = x.groups * x.channels
  const factor = x.steps / steps
  for (let s = 0; s < steps; s++) {
    const target = outAt + s * stride
    for (let f = 0; f < width; f++) out[target + f] = 0
    for (let i = 0; i < factor; i++) {
      const row = x.at + (s * factor + i) * width
      for (let f = 0; f < width; f++) out[target + f] += x.values[row + f]
    }
    for (let f = 0; f < width; f++) out[target + f] /= factor
  }
}
