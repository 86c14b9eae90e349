import { dot } from './dot'

/** Plain-JS forward pass of the PyTorch-semantics GRU and dense layers, for one window. */

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

export interface GruLayerWeights {
  /** [D][3U][input]: the layer's [D][input][3U] transposed (gate rows r, z, n), see transposeBlocks. */
  inputKernel: Float64Array
  /** [D][3U][U] */
  recurrentKernel: Float64Array
  /** [D][3U] */
  inputBias: Float64Array
  recurrentBias: Float64Array
}

/** rows x [input] -> out[outAt + j] = bias[j] + kernel[j] . x, four rows at a time sharing each loaded x. */
export function project(
  x: Float64Array,
  xAt: number,
  inputs: number,
  kernel: Float64Array,
  kernelAt: number,
  bias: Float64Array,
  biasAt: number,
  rows: number,
  out: Float64Array,
  outAt: number
): void {
  let j = 0
  for (; j + 3 < rows; j += 4) {
    const w0 = kernelAt + j * inputs
    const w1 = w0 + inputs
    const w2 = w1 + inputs
    const w3 = w2 + inputs
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    for (let i = 0; i < inputs; i++) {
      const value = x[xAt + i]
      s0 += value * kernel[w0 + i]
      s1 += value * kernel[w1 + i]
      s2 += value * kernel[w2 + i]
      s3 += value * kernel[w3 + i]
    }
    out[outAt + j] = bias[biasAt + j] + s0
    out[outAt + j + 1] = bias[biasAt + j + 1] + s1
    out[outAt + j + 2] = bias[biasAt + j + 2] + s2
    out[outAt + j + 3] = bias[biasAt + j + 3] + s3
  }
  for (; j < rows; j++) out[outAt + j] = bias[biasAt + j] + dot(x, xAt, kernel, kernelAt + j * inputs, inputs)
}

/** Buffers of one GRU layer, allocated once per predictor. */
export interface GruBuffers {
  /** [T][D*U] */
  out: Float64Array
  /** [T][3U]: every step's input projection of one direction. */
  projected: Float64Array
  recurrent: Float64Array
  state: Float64Array
}

export function gruBuffers(steps: number, units: number, directions: number): GruBuffers {
  return {
    out: new Float64Array(steps * directions * units),
    projected: new Float64Array(steps * 3 * units),
    recurrent: new Float64Array(3 * units),
    state: new Float64Array(units)
  }
}

/**
 * One bidirectional (or forward) GRU layer over [T][input] -> [T][D*U] (into buffers.out), PyTorch's gating:
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h, h0 = 0. The backward direction reads
 * the reversed sequence; its output at step s lands at T-1-s, as PyTorch's output does.
 */
export function gruLayer(
  x: Float64Array,
  steps: number,
  inputSize: number,
  units: number,
  directions: number,
  weights: GruLayerWeights,
  buffers: GruBuffers
): Float64Array {
  const gates = 3 * units
  const { out, projected, recurrent, state } = buffers
  for (let d = 0; d < directions; d++) {
    state.fill(0)
    const inputKernel = d * inputSize * gates
    const recurrentKernel = d * units * gates
    // The input terms do not depend on the state: all steps first, out of the sequential loop.
    for (let t = 0; t < steps; t++)
      project(
        x,
        t * inputSize,
        inputSize,
        weights.inputKernel,
        inputKernel,
        weights.inputBias,
        d * gates,
        gates,
        projected,
        t * gates
      )
    for (let s = 0; s < steps; s++) {
      const t = d === 0 ? s : steps - 1 - s
      // h0 = 0: the first step's recurrent term is its bias alone.
      if (s > 0)
        project(
          state,
          0,
          units,
          weights.recurrentKernel,
          recurrentKernel,
          weights.recurrentBias,
          d * gates,
          gates,
          recurrent,
          0
        )
      else for (let j = 0; j < gates; j++) recurrent[j] = weights.recurrentBias[d * gates + j]
      const p = t * gates
      for (let u = 0; u < units; u++) {
        const reset = sigmoid(projected[p + u] + recurrent[u])
        const update = sigmoid(projected[p + units + u] + recurrent[units + u])
        const candidate = Math.tanh(projected[p + 2 * units + u] + reset * recurrent[2 * units + u])
        state[u] = candidate + update * (state[u] - candidate)
        out[t * directions * units + d * units + u] = state[u]
      }
    }
  }
  return out
}

/** y = x W + b for one row x [input]; kernel [units][input], the layer's [input][units] transposed. */
export function dense(x: Float64Array, kernel: Float64Array, bias: Float64Array): Float64Array {
  const units = bias.length
  const inputs = x.length
  const out = new Float64Array(units)
  for (let j = 0; j < units; j++) out[j] = bias[j] + dot(x, 0, kernel, j * inputs, inputs)
  return out
}

export function softmax(logits: Float64Array): Float32Array {
  let largest = -Infinity
  for (const value of logits) largest = Math.max(largest, value)
  const out = new Float64Array(logits.length)
  let sum = 0
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - largest)
    sum += out[i]
  }
  return Float32Array.from(out, (value) => value / sum)
}
