import { einsumShape } from '../ops/tensor-ops'

interface Known {
  values: ArrayLike<number>
  shape: number[]
}

/**
 * A two-operand einsum of values known at export (a spatial filter from its kernel), by its definition: every
 * combination of the labels' indices adds one product to the output element its output labels name, summed
 * in float64. These operands are weights of a few thousand values, so the plain loop is fast enough.
 */
export function evaluateEinsum(
  equation: string,
  a: Known,
  b: Known
): { values: Float32Array; shape: number[] } {
  const shape = einsumShape(equation, a.shape, b.shape)
  const [operands, output] = equation.split('->')
  const [left, right] = operands.split(',')
  const labels = [...new Set([...left, ...right])]
  const extent = labels.map((label) =>
    left.includes(label) ? a.shape[left.indexOf(label)] : b.shape[right.indexOf(label)]
  )
  // How far each label's index moves in one operand's flat array (0 where the operand lacks the label).
  const strides = (spec: string, dims: number[]) =>
    labels.map((label) => {
      const axis = spec.indexOf(label)
      return axis < 0 ? 0 : dims.slice(axis + 1).reduce((product, size) => product * size, 1)
    })
  const [strideA, strideB, strideOut] = [
    strides(left, a.shape),
    strides(right, b.shape),
    strides(output, shape)
  ]
  const out = new Float64Array(shape.reduce((product, size) => product * size, 1))
  const total = extent.reduce((product, size) => product * size, 1)
  const index = new Array<number>(labels.length).fill(0)
  for (let step = 0; step < total; step++) {
    let [at, bt, ot] = [0, 0, 0]
    for (let k = 0; k < labels.length; k++) {
      at += index[k] * strideA[k]
      bt += index[k] * strideB[k]
      ot += index[k] * strideOut[k]
    }
    out[ot] += a.values[at] * b.values[bt]
    for (let k = labels.length - 1; k >= 0 && ++index[k] === extent[k]; k--) index[k] = 0
  }
  return { values: Float32Array.from(out), shape }
}
