import { dot } from './dot'

/** Plain-JS forward pass of the PyTorch-semantics GRU and dense layers, for one window. */

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

export interface GruLayerWeights {
  /** [D][3U][input]: the layer's [D][input][3U] transposed (gate rows r, z, n), see transposeBlocks. */
  inputKernel: Float64Array
  /** [D][3U][U] */
  recurrentKernel: Float64Array
  /** [D][3U] */
  inputBias: Float64Array
  recurrentBias: Float64Array
}

/**
 * One bidirectional (or forward) GRU layer over [T][input] -> [T][D*U], PyTorch's gating:
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h, h0 = 0. The backward direction reads
 * the reversed sequence; its output at step s lands at T-1-s, as PyTorch's output does.
 */
export function gruLayer(
  x: Float64Array,
  steps: number,
  inputSize: number,
  units: number,
  directions: number,
  weights: GruLayerWeights
): Float64Array {
  const gates = 3 * units
  const out = new Float64Array(steps * directions * units)
  const projected = new Float64Array(gates)
  const recurrent = new Float64Array(gates)
  const state = new Float64Array(units)
  for (let d = 0; d < directions; d++) {
    state.fill(0)
    const inputKernel = d * inputSize * gates
    const recurrentKernel = d * units * gates
    for (let s = 0; s < steps; s++) {
      const t = d === 0 ? s : steps - 1 - s
      for (let j = 0; j < gates; j++) {
        projected[j] =
          weights.inputBias[d * gates + j] +
          dot(x, t * inputSize, weights.inputKernel, inputKernel + j * inputSize, inputSize)
        // h0 = 0: the first step's recurrent term is its bias alone.
        recurrent[j] =
          weights.recurrentBias[d * gates + j] +
          (s > 0 ? dot(state, 0, weights.recurrentKernel, recurrentKernel + j * units, units) : 0)
      }
      for (let u = 0; u < units; u++) {
        const reset = sigmoid(projected[u] + recurrent[u])
        const update = sigmoid(projected[units + u] + recurrent[units + u])
        const candidate = Math.tanh(projected[2 * units + u] + reset * recurrent[2 * units + u])
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
