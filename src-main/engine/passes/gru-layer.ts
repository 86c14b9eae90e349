import type { LayerPass } from '../ops/pass'
import type { Operand, TensorOps } from '../ops/tensor-ops'

/**
 * A whole GRU layer with PyTorch's gating (tfjs's GRU has no "reset after" mode): gates r, z, n;
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h, h0 = 0, over every step and both
 * directions at once (the backward direction reads the sequence reversed), and the output PyTorch gives; the
 * backward (BPTT) written out by hand. Run as TensorFlow functions its ~700 nodes cost the graph executor
 * about half a microsecond each, where op by op through tfjs the native-rate model's BiGRU was ~980 kernels
 * a training step. The engine tests check it against the op-by-op layer (test/engine/reference/) and finite
 * differences.
 */

/** Forward: the states and, stacked over time, what BPTT needs: r, z, n and W_hn h + b_hn. */
function forwardBody<H extends Operand>(ops: TensorOps<H>, projected: H, kernel: H, bias: H): H[] {
  const [directions, batch, , gates] = projected.shape
  const units = gates / 3
  const recurrentBias = ops.reshape(bias, [directions, 1, gates])
  const inputs = ops.unstack(projected, 2)
  const saved: { r: H[]; z: H[]; n: H[]; hidden: H[]; states: H[] } = {
    r: [],
    z: [],
    n: [],
    hidden: [],
    states: []
  }
  let state: H | null = null
  for (const input of inputs) {
    // h0 = 0: the first step's recurrent term is the bias alone, broadcast so that every saved step has one shape.
    const recurrent: H = state
      ? ops.add(ops.matMul(state, kernel), recurrentBias)
      : ops.broadcastTo(recurrentBias, [directions, batch, gates])
    const [recurrentResetUpdate, recurrentNew] = ops.split(recurrent, [2 * units, units], 2)
    const [inputResetUpdate, inputNew] = ops.split(input, [2 * units, units], 2)
    const [reset, update] = ops.split(
      ops.sigmoid(ops.add(inputResetUpdate, recurrentResetUpdate)),
      [units, units],
      2
    )
    const candidate = ops.tanh(ops.add(inputNew, ops.mul(reset, recurrentNew)))
    // h' = (1 - z) n + z h = n + z (h - n)
    state = state
      ? ops.add(candidate, ops.mul(update, ops.sub(state, candidate)))
      : ops.sub(candidate, ops.mul(update, candidate))
    saved.r.push(reset)
    saved.z.push(update)
    saved.n.push(candidate)
    saved.hidden.push(recurrentNew)
    saved.states.push(state)
  }
  return [saved.states, saved.r, saved.z, saved.n, saved.hidden].map((parts) => ops.stackAlong(parts, 2))
}

/** BPTT: dStates [D, B, T, U] (the loss's gradient of every step's state) -> [dProjected, dKernel, dBias]. */
function backwardBody<H extends Operand>(ops: TensorOps<H>, dStates: H, saved: H[], kernel: H): H[] {
  const [states, resets, updates, candidates, hiddens] = saved.map((tensor) => ops.unstack(tensor, 2))
  const outputGradients = ops.unstack(dStates, 2)
  const steps = outputGradients.length
  const [directions, batch, units] = states[0].shape
  const dProjected: H[] = new Array<H>(steps)
  const dRecurrent: H[] = new Array<H>(steps)
  let dNext: H | null = null
  for (let t = steps - 1; t >= 0; t--) {
    const dState: H = dNext ? ops.add(outputGradients[t], dNext) : outputGradients[t]
    const previous = t > 0 ? states[t - 1] : null
    const [reset, update, candidate] = [resets[t], updates[t], candidates[t]]
    const dCandidate = ops.sub(dState, ops.mul(dState, update))
    const dUpdate = previous
      ? ops.mul(dState, ops.sub(previous, candidate))
      : ops.neg(ops.mul(dState, candidate))
    const dNewPreActivation = ops.tanhGrad(candidate, dCandidate)
    const dReset = ops.sigmoidGrad(reset, ops.mul(dNewPreActivation, hiddens[t]))
    const dUpdatePreActivation = ops.sigmoidGrad(update, dUpdate)
    dProjected[t] = ops.concat([dReset, dUpdatePreActivation, dNewPreActivation], 2)
    dRecurrent[t] = ops.concat([dReset, dUpdatePreActivation, ops.mul(dNewPreActivation, reset)], 2)
    if (t > 0) dNext = ops.add(ops.mul(dState, update), ops.matMul(dRecurrent[t], kernel, false, true))
  }
  const gates = 3 * units
  // dW_hh = sum over t >= 1 of h_{t-1}^T dgh_t: one matMul over all steps (h0 = 0 adds nothing).
  const dKernel =
    steps > 1
      ? ops.matMul(
          ops.reshape(ops.stackAlong(states.slice(0, steps - 1), 2), [
            directions,
            batch * (steps - 1),
            units
          ]),
          ops.reshape(ops.stackAlong(dRecurrent.slice(1), 2), [directions, batch * (steps - 1), gates]),
          true,
          false
        )
      : ops.zerosLike(kernel)
  const dBias = ops.sum(ops.stackAlong(dRecurrent, 2), [1, 2], false)
  return [ops.stackAlong(dProjected, 2), dKernel, dBias]
}

export interface GruLayerShape {
  /** Output the last step [B, D*U] (PyTorch's out[:, -1, :]) instead of the sequence [B, T, D*U]. */
  lastStepOnly: boolean
}

/**
 * One whole layer: the input projection of every step and direction (the backward direction reads the
 * sequence reversed), the recurrence, and the output PyTorch gives. Forward outputs: the layer's output, then
 * what the backward needs.
 */
export function gruLayerForward<H extends Operand>(
  ops: TensorOps<H>,
  x: H,
  [inputKernel, inputBias, recurrentKernel, recurrentBias]: H[],
  { lastStepOnly }: GruLayerShape
): H[] {
  const [batch, steps, inputs] = x.shape
  const [directions, , gates] = inputKernel.shape
  const units = gates / 3
  const perDirection =
    directions === 2 ? ops.stackAlong([x, ops.reverse(x, 1)], 0) : ops.reshape(x, [1, batch, steps, inputs])
  const rows = ops.reshape(perDirection, [directions, batch * steps, inputs])
  const projected = ops.reshape(
    ops.add(ops.matMul(rows, inputKernel), ops.reshape(inputBias, [directions, 1, gates])),
    [directions, batch, steps, gates]
  )
  const saved = forwardBody(ops, projected, recurrentKernel, recurrentBias)
  const states = saved[0]
  let output: H
  if (lastStepOnly) {
    // The forward direction's last state beside the backward direction's first (it has read only x[T-1]).
    const forwardLast = ops.slice(states, [0, 0, steps - 1, 0], [1, batch, 1, units])
    output =
      directions === 2
        ? ops.reshape(ops.concat([forwardLast, ops.slice(states, [1, 0, 0, 0], [1, batch, 1, units])], 3), [
            batch,
            2 * units
          ])
        : ops.reshape(forwardLast, [batch, units])
  } else if (directions === 2) {
    const [forward, backward] = ops.unstack(states, 0)
    output = ops.concat([forward, ops.reverse(backward, 1)], 2)
  } else {
    output = ops.reshape(states, [batch, steps, units])
  }
  return [output, rows, ...saved]
}

function layerBackward<H extends Operand>(
  ops: TensorOps<H>,
  dy: H,
  [rows, ...saved]: H[],
  [inputKernel, recurrentKernel]: H[],
  inputShape: number[],
  { lastStepOnly }: GruLayerShape
): H[] {
  const [batch, steps, inputs] = inputShape
  const [directions, , gates] = inputKernel.shape
  const units = gates / 3
  let dStates: H
  if (lastStepOnly) {
    const pieces = directions === 2 ? ops.split(dy, [units, units], 1) : [dy]
    const at = (piece: H, before: number) =>
      ops.padSteps(ops.reshape(piece, [1, batch, 1, units]), before, steps - 1 - before)
    dStates =
      directions === 2
        ? ops.concat([at(pieces[0], steps - 1), at(pieces[1], 0)], 0)
        : at(pieces[0], steps - 1)
  } else if (directions === 2) {
    const [forward, backward] = ops.split(dy, [units, units], 2)
    dStates = ops.stackAlong([forward, ops.reverse(backward, 1)], 0)
  } else {
    dStates = ops.reshape(dy, [1, batch, steps, units])
  }
  const [dProjected, dRecurrentKernel, dRecurrentBias] = backwardBody(ops, dStates, saved, recurrentKernel)
  const dRows = ops.reshape(dProjected, [directions, batch * steps, gates])
  const dInputKernel = ops.matMul(rows, dRows, true, false)
  const dInputBias = ops.sum(dRows, [1], false)
  const dPerDirection = ops.reshape(ops.matMul(dRows, inputKernel, false, true), [
    directions,
    batch,
    steps,
    inputs
  ])
  let dx: H
  if (directions === 2) {
    const [forward, backward] = ops.unstack(dPerDirection, 0)
    dx = ops.add(forward, ops.reverse(backward, 1))
  } else {
    dx = ops.reshape(dPerDirection, [batch, steps, inputs])
  }
  return [dx, dInputKernel, dInputBias, dRecurrentKernel, dRecurrentBias]
}

/**
 * The pass over x [B, T, I] and the weights in PytorchGru's layout: inputKernel [D, I, 3U], inputBias [D, 3U],
 * recurrentKernel [D, U, 3U], recurrentBias [D, 3U]; output [B, D*U] (lastStepOnly) or [B, T, D*U].
 */
export function gruLayerPass(shape: GruLayerShape): LayerPass {
  return {
    key: `gru-layer ${shape.lastStepOnly}`,
    forward: (ops, [x, inputKernel, inputBias, recurrentKernel, recurrentBias]) => {
      const [output, ...saved] = gruLayerForward(
        ops,
        x,
        [inputKernel, inputBias, recurrentKernel, recurrentBias],
        shape
      )
      return { value: output, saved: [...saved, inputKernel, recurrentKernel] }
    },
    backward: (ops, dy, saved) => {
      const [rows, states] = saved
      const [, batch, steps] = states.shape
      return layerBackward(ops, dy, saved.slice(0, -2), saved.slice(-2), [batch, steps, rows.shape[2]], shape)
    }
  }
}
