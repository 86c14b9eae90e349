import { dot, transposeBlocks } from './dot'

/**
 * Plain-JS forward pass of the grouped TCN layers, for one window. Activations are row-major [T][G*C] with
 * group-major features (feature g*C + c), the layout of the tfjs layers; weights are the layers' own arrays.
 */

export interface Activation {
  values: Float64Array
  steps: number
  groups: number
  /** Channels per group. */
  channels: number
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** A grouped causal convolution's weights, laid out for the forward loop: kernel [G][F][k*Cin]. */
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
 * t - (k-1-j)*d) and bias [G][F]: transposed once so that each output is one contiguous dot product.
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
  return {
    kernel: transposeBlocks(kernel, rows, filters),
    bias,
    groups,
    kernelSize,
    dilation,
    inputChannels: rows / kernelSize,
    filters
  }
}

/** The im2col row of step t of group g: k taps of Cin channels, zeros before the first step. */
function fillColumn(
  x: Activation,
  convolution: Convolution,
  t: number,
  g: number,
  column: Float64Array
): void {
  const { kernelSize, dilation, inputChannels, groups } = convolution
  const input = x.values
  const inputWidth = groups * inputChannels
  for (let tap = 0; tap < kernelSize; tap++) {
    const source = t - (kernelSize - 1 - tap) * dilation
    const at = tap * inputChannels
    if (source < 0) {
      for (let c = 0; c < inputChannels; c++) column[at + c] = 0
    } else {
      const from = source * inputWidth + g * inputChannels
      for (let c = 0; c < inputChannels; c++) column[at + c] = input[from + c]
    }
  }
}

/**
 * Grouped dilated causal convolution [T][G*Cin] -> [T][G*F], zero before the first step. Two steps and four
 * filters at a time: each loaded value serves several products and eight sums run independently (measured
 * ~2x over one dot product per output on this machine).
 */
export function causalConvolution(x: Activation, convolution: Convolution): Activation {
  const { kernel, bias, groups, kernelSize, inputChannels, filters } = convolution
  const steps = x.steps
  const outputWidth = groups * filters
  const rows = kernelSize * inputChannels
  const out = new Float64Array(steps * outputWidth)
  const first = new Float64Array(rows)
  const second = new Float64Array(rows)
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < steps; t += 2) {
      const pair = t + 1 < steps
      fillColumn(x, convolution, t, g, first)
      if (pair) fillColumn(x, convolution, t + 1, g, second)
      else second.fill(0)
      const row = t * outputWidth + g * filters
      let f = 0
      for (; f + 3 < filters; f += 4) {
        const w0 = (g * filters + f) * rows
        const w1 = w0 + rows
        const w2 = w1 + rows
        const w3 = w2 + rows
        let a0 = 0
        let a1 = 0
        let a2 = 0
        let a3 = 0
        let b0 = 0
        let b1 = 0
        let b2 = 0
        let b3 = 0
        for (let r = 0; r < rows; r++) {
          const u = first[r]
          const v = second[r]
          const k0 = kernel[w0 + r]
          const k1 = kernel[w1 + r]
          const k2 = kernel[w2 + r]
          const k3 = kernel[w3 + r]
          a0 += u * k0
          a1 += u * k1
          a2 += u * k2
          a3 += u * k3
          b0 += v * k0
          b1 += v * k1
          b2 += v * k2
          b3 += v * k3
        }
        const at = g * filters + f
        const c0 = bias ? bias[at] : 0
        const c1 = bias ? bias[at + 1] : 0
        const c2 = bias ? bias[at + 2] : 0
        const c3 = bias ? bias[at + 3] : 0
        out[row + f] = c0 + a0
        out[row + f + 1] = c1 + a1
        out[row + f + 2] = c2 + a2
        out[row + f + 3] = c3 + a3
        if (pair) {
          out[row + outputWidth + f] = c0 + b0
          out[row + outputWidth + f + 1] = c1 + b1
          out[row + outputWidth + f + 2] = c2 + b2
          out[row + outputWidth + f + 3] = c3 + b3
        }
      }
      for (; f < filters; f++) {
        const weights = (g * filters + f) * rows
        const c = bias ? bias[g * filters + f] : 0
        out[row + f] = c + dot(first, 0, kernel, weights, rows)
        if (pair) out[row + outputWidth + f] = c + dot(second, 0, kernel, weights, rows)
      }
    }
  }
  return { values: out, steps, groups, channels: filters }
}

export function reluInPlace(x: Activation): Activation {
  const values = x.values
  for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0
  return x
}

/**
 * CBAM channel attention per group: the shared bias-free MLP (first [G][C][H], second [G][H][C]) on the
 * time-average and the time-maximum, summed, sigmoid, multiplied into x (in place).
 */
export function channelAttentionInPlace(
  x: Activation,
  first: Float64Array,
  second: Float64Array
): Activation {
  const { steps, groups, channels, values } = x
  const width = groups * channels
  const hidden = first.length / (groups * channels)
  const average = new Float64Array(channels)
  const maximum = new Float64Array(channels)
  const hiddenSum = new Float64Array(hidden)
  for (let g = 0; g < groups; g++) {
    average.fill(0)
    maximum.fill(-Infinity)
    for (let t = 0; t < steps; t++) {
      const row = t * width + g * channels
      for (let c = 0; c < channels; c++) {
        const value = values[row + c]
        average[c] += value
        if (value > maximum[c]) maximum[c] = value
      }
    }
    for (let c = 0; c < channels; c++) average[c] /= steps
    const firstOffset = g * channels * hidden
    for (let h = 0; h < hidden; h++) {
      let fromAverage = 0
      let fromMaximum = 0
      for (let c = 0; c < channels; c++) {
        const weight = first[firstOffset + c * hidden + h]
        fromAverage += average[c] * weight
        fromMaximum += maximum[c] * weight
      }
      hiddenSum[h] = Math.max(0, fromAverage) + Math.max(0, fromMaximum)
    }
    const secondOffset = g * hidden * channels
    for (let c = 0; c < channels; c++) {
      let logit = 0
      for (let h = 0; h < hidden; h++) logit += hiddenSum[h] * second[secondOffset + h * channels + c]
      const scale = sigmoid(logit)
      for (let t = 0; t < steps; t++) values[t * width + g * channels + c] *= scale
    }
  }
  return x
}

/** Taps of the spatial attention's "same" convolution along time. */
export const spatialKernelSize = 7

/**
 * CBAM spatial attention along time per group: channel mean and max as 2 channels, a "same" convolution of
 * kernel [G][7*2] (row j*2 + c; tap j reads step t + j - 3), sigmoid, multiplied into x (in place).
 */
export function spatialAttentionInPlace(x: Activation, kernel: Float64Array): Activation {
  const { steps, groups, channels, values } = x
  const width = groups * channels
  const half = (spatialKernelSize - 1) / 2
  const average = new Float64Array(steps)
  const maximum = new Float64Array(steps)
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < steps; t++) {
      const row = t * width + g * channels
      let sum = 0
      let largest = -Infinity
      for (let c = 0; c < channels; c++) {
        const value = values[row + c]
        sum += value
        if (value > largest) largest = value
      }
      average[t] = sum / channels
      maximum[t] = largest
    }
    const kernelOffset = g * spatialKernelSize * 2
    for (let t = 0; t < steps; t++) {
      let logit = 0
      for (let tap = 0; tap < spatialKernelSize; tap++) {
        const source = t + tap - half
        if (source < 0 || source >= steps) continue
        logit +=
          kernel[kernelOffset + tap * 2] * average[source] +
          kernel[kernelOffset + tap * 2 + 1] * maximum[source]
      }
      const scale = sigmoid(logit)
      const row = t * width + g * channels
      for (let c = 0; c < channels; c++) values[row + c] *= scale
    }
  }
  return x
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

export function attendInPlace(x: Activation, weights: AttentionWeights): Activation {
  channelAttentionInPlace(x, weights.channelFirst, weights.channelSecond)
  return spatialAttentionInPlace(x, weights.spatial)
}

/** conv -> ReLU -> conv -> ReLU -> [attention] -> ReLU(out + residual), as TcnResidualBlock at inference. */
export function residualBlock(
  x: Activation,
  weights: BlockWeights,
  attentionAfterResidual: boolean
): Activation {
  const out = reluInPlace(causalConvolution(reluInPlace(causalConvolution(x, weights.first)), weights.second))
  if (weights.attention && !attentionAfterResidual) attendInPlace(out, weights.attention)
  const residual = weights.downsample ? causalConvolution(x, weights.downsample) : x
  const values = out.values
  for (let i = 0; i < values.length; i++) {
    const sum = values[i] + residual.values[i]
    values[i] = sum > 0 ? sum : 0
  }
  if (weights.attention && attentionAfterResidual) attendInPlace(out, weights.attention)
  return out
}

/** [T][F] -> [steps][F] by averaging T/steps consecutive rows. */
export function averagePool(x: Activation, steps: number): Activation {
  if (x.steps === steps) return x
  const width = x.groups * x.channels
  const factor = x.steps / steps
  const out = new Float64Array(steps * width)
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < factor; i++) {
      const row = (s * factor + i) * width
      for (let f = 0; f < width; f++) out[s * width + f] += x.values[row + f]
    }
    for (let f = 0; f < width; f++) out[s * width + f] /= factor
  }
  return { values: out, steps, groups: x.groups, channels: x.channels }
}
