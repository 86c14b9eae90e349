import type { LayerPass } from '../ops/pass'
import type { Operand, TensorOps } from '../ops/tensor-ops'

/** The activations a dense layer of the models (and of a saved tfjs Dense they load) applies. */
export const denseActivations = ['linear', 'relu', 'softmax'] as const
export type DenseActivation = (typeof denseActivations)[number]

export interface DenseShape {
  activation: DenseActivation
  useBias: boolean
}

/**
 * A fully connected layer, y = activation(x · kernel + bias): x [.., I], kernel [I, U], bias [U] -> [.., U].
 * Leading axes are flattened into rows for one plain matrix product (the models' dense layers read [B, I]).
 * Softmax is over the last axis. saved: the rows of x, the kernel, and the output where the activation's
 * gradient reads it.
 */
export function denseForward<H extends Operand>(
  ops: TensorOps<H>,
  [x, kernel, bias]: H[],
  { activation, useBias }: DenseShape
): { value: H; saved: H[] } {
  const [inputs, units] = kernel.shape
  const leading = x.shape.slice(0, -1)
  const rows = ops.reshape(x, [leading.reduce((product, size) => product * size, 1), inputs])
  const product = ops.matMul(rows, kernel)
  const biased = useBias ? ops.biasAdd(product, bias) : product
  const activated =
    activation === 'relu' ? ops.relu(biased) : activation === 'softmax' ? ops.softmax(biased) : biased
  return {
    value: ops.reshape(activated, [...leading, units]),
    saved: activation === 'linear' ? [rows, kernel] : [rows, kernel, activated]
  }
}

/** The gradients of x, the kernel and (where used) the bias, from dy [.., U]. */
export function denseBackward<H extends Operand>(
  ops: TensorOps<H>,
  dy: H,
  [rows, kernel, activated]: H[],
  inputShape: number[],
  { activation, useBias }: DenseShape
): H[] {
  const dOutput = ops.reshape(dy, [rows.shape[0], kernel.shape[1]])
  let dBiased = dOutput
  if (activation === 'relu') dBiased = ops.reluGrad(dOutput, activated)
  if (activation === 'softmax') {
    // d softmax: y * (dy - sum(dy * y)) over the last axis.
    const projected = ops.reduce('Sum', ops.mul(dOutput, activated), 1)
    dBiased = ops.mul(activated, ops.sub(dOutput, projected))
  }
  const dKernel = ops.matMul(rows, dBiased, true, false)
  const dx = ops.reshape(ops.matMul(dBiased, kernel, false, true), inputShape)
  return useBias ? [dx, dKernel, ops.biasAddGrad(dBiased)] : [dx, dKernel]
}

/** The pass over [x, kernel] or [x, kernel, bias] (useBias), as EmohealDense holds them. */
export function densePass(shape: DenseShape): LayerPass {
  return {
    key: `dense ${shape.activation} ${shape.useBias}`,
    forward: (ops, inputs) => denseForward(ops, inputs, shape),
    // x's shape: dy's leading axes, and the rows' width.
    backward: (ops, dy, saved) =>
      denseBackward(ops, dy, saved, [...dy.shape.slice(0, -1), saved[0].shape[1]], shape)
  }
}
