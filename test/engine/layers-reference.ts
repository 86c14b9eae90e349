/**
 * Plain-loop references for the custom layers, written from the published definitions (PyTorch's Conv1d with
 * causal padding, CBAM attention, PyTorch's GRU) with no tensor library, to check the layers' forward outputs.
 * Arrays are nested: x[b][t][c].
 */
export type Sequence = number[][] // [t][c]

/** Deterministic numbers in [-1, 1) (a linear congruential generator), so that tests never flake. */
export function numbers(count: number, seed: number, scale = 1): number[] {
  let state = seed >>> 0
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    out.push(((state / 2 ** 32) * 2 - 1) * scale)
  }
  return out
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v))
const relu = (v: number): number => Math.max(0, v)

/** torch weight (out, in, k); causal: output t reads input t - (k-1-j)*d for tap j. */
export function causalConvolution(
  x: Sequence,
  weight: number[][][],
  bias: number[] | null,
  dilation: number
): Sequence {
  const steps = x.length
  const outputs = weight.length
  const inputs = weight[0].length
  const taps = weight[0][0].length
  return Array.from({ length: steps }, (_, t) =>
    Array.from({ length: outputs }, (__, o) => {
      let sum = bias ? bias[o] : 0
      for (let j = 0; j < taps; j++) {
        const source = t - (taps - 1 - j) * dilation
        if (source < 0) continue
        for (let c = 0; c < inputs; c++) sum += weight[o][c][j] * x[source][c]
      }
      return sum
    })
  )
}

/** fc1 (hidden, C), fc2 (C, hidden): sigmoid(fc2 relu(fc1 avg) + fc2 relu(fc1 max)) * x */
export function channelAttention(x: Sequence, fc1: number[][], fc2: number[][]): Sequence {
  const channels = x[0].length
  const average = Array.from({ length: channels }, (_, c) => x.reduce((s, row) => s + row[c], 0) / x.length)
  const maximum = Array.from({ length: channels }, (_, c) => Math.max(...x.map((row) => row[c])))
  const mlp = (v: number[]) => {
    const hidden = fc1.map((row) => relu(row.reduce((s, w, c) => s + w * v[c], 0)))
    return fc2.map((row) => row.reduce((s, w, h) => s + w * hidden[h], 0))
  }
  const a = mlp(average)
  const m = mlp(maximum)
  const scale = a.map((v, c) => sigmoid(v + m[c]))
  return x.map((row) => row.map((v, c) => v * scale[c]))
}

/** weight (1, 2, 7) over [mean over channels, max over channels], padding 3 on both sides. */
export function spatialAttention(x: Sequence, weight: number[][][]): Sequence {
  const pooled = x.map((row) => [row.reduce((s, v) => s + v, 0) / row.length, Math.max(...row)])
  const taps = weight[0][0].length
  const half = (taps - 1) / 2
  return x.map((row, t) => {
    let sum = 0
    for (let j = 0; j < taps; j++) {
      const source = t + j - half
      if (source < 0 || source >= x.length) continue
      for (let c = 0; c < 2; c++) sum += weight[0][c][j] * pooled[source][c]
    }
    const scale = sigmoid(sum)
    return row.map((v) => v * scale)
  })
}

export interface BlockWeights {
  conv1: number[][][]
  bias1: number[]
  conv2: number[][][]
  bias2: number[]
  downsample?: { weight: number[][][]; bias: number[] }
  attention?: { fc1: number[][]; fc2: number[][]; spatial: number[][][] }
}

export function temporalBlock(x: Sequence, weights: BlockWeights, dilation: number): Sequence {
  let out = causalConvolution(x, weights.conv1, weights.bias1, dilation).map((row) => row.map(relu))
  out = causalConvolution(out, weights.conv2, weights.bias2, dilation).map((row) => row.map(relu))
  if (weights.attention) {
    out = channelAttention(out, weights.attention.fc1, weights.attention.fc2)
    out = spatialAttention(out, weights.attention.spatial)
  }
  const residual = weights.downsample
    ? causalConvolution(x, weights.downsample.weight, weights.downsample.bias, 1)
    : x
  return out.map((row, t) => row.map((v, c) => relu(v + residual[t][c])))
}

export interface GruDirectionWeights {
  /** (3H, I), rows r, z, n */
  weightIh: number[][]
  weightHh: number[][]
  biasIh: number[]
  biasHh: number[]
}

function gruDirection(x: Sequence, w: GruDirectionWeights, reverse: boolean): Sequence {
  const units = w.weightHh[0].length
  let h = new Array<number>(units).fill(0)
  const out: Sequence = new Array(x.length)
  const order = x.map((_, t) => (reverse ? x.length - 1 - t : t))
  for (const t of order) {
    const gi = w.weightIh.map((row, k) => row.reduce((s, v, i) => s + v * x[t][i], w.biasIh[k]))
    const gh = w.weightHh.map((row, k) => row.reduce((s, v, i) => s + v * h[i], w.biasHh[k]))
    h = h.map((previous, u) => {
      const r = sigmoid(gi[u] + gh[u])
      const z = sigmoid(gi[units + u] + gh[units + u])
      const n = Math.tanh(gi[2 * units + u] + r * gh[2 * units + u])
      return (1 - z) * n + z * previous
    })
    out[t] = h
  }
  return out
}

/** PyTorch nn.GRU(bidirectional=True): layers[l] = [forward, reverse]; output [t][2H]. */
export function bidirectionalGru(x: Sequence, layers: GruDirectionWeights[][]): Sequence {
  let input = x
  for (const [forward, backward] of layers) {
    const a = gruDirection(input, forward, false)
    const b = gruDirection(input, backward, true)
    input = a.map((row, t) => [...row, ...b[t]])
  }
  return input
}

/** Splits a flat array into nested arrays of the given shape. */
export function nest(data: number[] | Float32Array, shape: number[]): unknown {
  if (shape.length === 1) return Array.from(data.slice(0, shape[0]))
  const size = shape.slice(1).reduce((a, b) => a * b, 1)
  return Array.from({ length: shape[0] }, (_, i) =>
    nest(data.slice(i * size, (i + 1) * size), shape.slice(1))
  )
}
