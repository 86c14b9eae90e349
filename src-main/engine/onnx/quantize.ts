/**
 * uint8 weights per output channel for ONNX's DequantizeLinear (x = (q - zero_point) * scale, per axis).
 * DequantizeLinear of opset 17 takes one axis, so a weight is stored as [reduced, output channels]: its output
 * axes (the last; and the group axis of a grouped [G, rows, F] kernel, whose output channels are (g, f)) moved
 * last and flattened, and the graph reshapes and transposes it back to the engine's layout.
 */
export interface QuantizedTensor {
  codes: Uint8Array
  scale: Float32Array
  zeroPoint: Uint8Array
  /** [reduced, output channels] */
  storedShape: [number, number]
  /** The weight's axes in stored order, unflattened. */
  permutedShape: number[]
  /** The transpose from permutedShape back to the weight's shape. */
  inverse: number[]
  /** Largest |dequantized - original| over the tensor, as float32 decodes it. */
  maxError: number
}

export function outputAxes(rank: number): number[] {
  return rank === 2 ? [1] : [0, rank - 1]
}

export function quantizePerChannel(values: Float32Array, shape: number[]): QuantizedTensor {
  const rank = shape.length
  const output = outputAxes(rank)
  const reduced = shape.map((_, axis) => axis).filter((axis) => !output.includes(axis))
  const permutation = [...reduced, ...output]
  const permutedShape = permutation.map((axis) => shape[axis])
  const inverse = new Array<number>(rank)
  permutation.forEach((axis, i) => (inverse[axis] = i))
  const rows = reduced.reduce((product, axis) => product * shape[axis], 1)
  const columns = output.reduce((product, axis) => product * shape[axis], 1)
  // Row-major strides of the original layout, to read it in the permuted order.
  const strides = new Array<number>(rank)
  for (let axis = rank - 1, stride = 1; axis >= 0; axis--) {
    strides[axis] = stride
    stride *= shape[axis]
  }
  const permuted = new Float32Array(values.length)
  const index = new Array<number>(rank).fill(0)
  for (let i = 0; i < values.length; i++) {
    let source = 0
    for (let k = 0; k < rank; k++) source += index[k] * strides[permutation[k]]
    permuted[i] = values[source]
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k] < permutedShape[k]) break
      index[k] = 0
    }
  }
  const scale = new Float32Array(columns)
  const zeroPoint = new Uint8Array(columns)
  const codes = new Uint8Array(values.length)
  let maxError = 0
  for (let c = 0; c < columns; c++) {
    // The range holds 0, so that a zero weight stays exactly zero.
    let low = 0
    let high = 0
    for (let r = 0; r < rows; r++) {
      const value = permuted[r * columns + c]
      if (!Number.isFinite(value)) throw new Error(`a weight holds ${value}`)
      low = Math.min(low, value)
      high = Math.max(high, value)
    }
    const step = Math.fround(high > low ? (high - low) / 255 : 1)
    const zero = Math.min(255, Math.max(0, Math.round(-low / step)))
    scale[c] = step
    zeroPoint[c] = zero
    for (let r = 0; r < rows; r++) {
      const value = permuted[r * columns + c]
      const code = Math.min(255, Math.max(0, Math.round(value / step) + zero))
      codes[r * columns + c] = code
      maxError = Math.max(maxError, Math.abs(Math.fround((code - zero) * step) - value))
    }
  }
  return { codes, scale, zeroPoint, storedShape: [rows, columns], permutedShape, inverse, maxError }
}
