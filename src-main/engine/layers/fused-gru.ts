import * as tf from '@tensorflow/tfjs'
import { dot, transposeBlocks } from '../fast-inference/dot'
import { project, sigmoid } from '../fast-inference/recurrent'
import { nativeGruAvailable } from './native-gru'

/**
 * The PyTorch-gated GRU's recurrence as one operation forward and one backward, in plain JavaScript.
 *
 * Run op by op, every time step is ~13 tfjs kernels forward and ~35 backward (985 for the native-rate model's
 * BiGRU of 20 steps, ~53 ms a training step on native TensorFlow), and each costs tens of microseconds of
 * binding and engine work while its arithmetic is a few thousand multiply-adds. Here the input projection of
 * all steps and both directions stays one batched matMul in tfjs (its gradients too), and the recurrence
 * reads that projection once, loops over time on typed arrays and uploads its output: one tape node whose
 * gradient runs back through time the same way. Only dataSync and tensor creation are needed, so every
 * backend runs it.
 */

export type GruForm = 'auto' | 'graph' | 'fused' | 'ops'

let gruForm: GruForm = 'auto'

/**
 * 'auto': on native TensorFlow whose binding registers functions, the whole layer as two TensorFlow
 * functions (native-gru.ts, fastest there: ~5 ms where this file's form takes ~18 at the native-rate shapes);
 * elsewhere this file's fused recurrence where it is faster (see useFusedGru), else op by op. The others force
 * one form, for tests and measurements.
 */
export function setGruForm(value: GruForm): void {
  gruForm = value
}

/** The form a layer of these sizes runs in. */
export function chooseGruForm(
  batch: number,
  steps: number,
  units: number,
  directions: number,
  training: boolean
): 'graph' | 'fused' | 'ops' {
  if (gruForm === 'graph' || (gruForm === 'auto' && nativeGruAvailable())) return 'graph'
  return useFusedGru(batch, steps, units, directions, training) ? 'fused' : 'ops'
}

/**
 * JavaScript's work per time step grows as batch * directions * units * (units + 10): the recurrent
 * product (units² multiply-adds per sequence, forward and again backward) and the gates' sigmoids and tanh,
 * worth about ten of them per unit (calibrated on one-step GRUs, which have no recurrent product). The
 * op-by-op form's cost per step is mostly its kernels' fixed cost, ~48 a step in training and ~13 in
 * inference, so the fused form wins below a work limit that is lower for inference. Measured on native
 * TensorFlow with bench/probe-gru-forms.ts (training) and forward-only runs, batch 32, both directions,
 * 20 steps, ms op by op vs fused (2 cores, shared):
 *   training:  32 units 55 vs 18, 64 units 66 vs 49, 80 units 63 vs 65, 96 units 68 vs 94;
 *              one step, 2 layers of 64 units: batch 32 12.4 vs 5.8, 256 28.9 vs 24.9, 1024 54 vs 95.
 *   inference: 32 units 17.4 vs 9.4, 48 units 17.3 vs 15.0, 64 units 20.4 vs 24.4, 32 units at batch 64
 *              18.5 vs 17.8, at batch 128 21.4 vs 35.1;
 *              one step, 2 layers of 64 units: batch 32 4.0 vs 2.3, 256 6.8 vs 11.2.
 * The limits sit below the crossovers: at batch 32 and both directions, training fuses up to 64 units (the
 * paper's width) and inference up to 40 (the native-rate model has 32).
 */
const trainingWorkLimit = 2 * 32 * 64 * (64 + 10)
const inferenceWorkLimit = 2 * 32 * 40 * (40 + 10)

export function useFusedGru(
  batch: number,
  steps: number,
  units: number,
  directions: number,
  training: boolean
): boolean {
  if (gruForm !== 'auto') return gruForm === 'fused'
  const work = batch * directions * units * ((steps > 1 ? units : 0) + 10)
  return work <= (training ? trainingWorkLimit : inferenceWorkLimit)
}

export interface GruRecurrenceShape {
  batch: number
  steps: number
  units: number
  directions: number
  /** Output PyTorch's out[:, -1, :] [B, D*U] instead of the sequence [B, T, D*U]. */
  lastStepOnly: boolean
}

/** What the backward pass reads, per [D][B][s][U] with s the direction's own step (time T-1-s backward). */
export interface Saved {
  reset: Float64Array
  update: Float64Array
  candidate: Float64Array
  /** W_hn h + b_hn, the term the reset gate scales. */
  recurrentNew: Float64Array
  /** The state each step started from (zeros at s = 0): also the left factor of W_hh's gradient. */
  previous: Float32Array
}

/**
 * Where direction d's state after its step s lands in the output, or -1 when it is not output. The backward
 * direction reads time T-1-s at its step s, and PyTorch's output at time t is the state that has read t.
 */
function outputOffset(shape: GruRecurrenceShape, d: number, b: number, s: number): number {
  const { steps, units, directions, lastStepOnly } = shape
  const t = d === 0 ? s : steps - 1 - s
  if (lastStepOnly) return t === steps - 1 ? (b * directions + d) * units : -1
  return ((b * steps + t) * directions + d) * units
}

/**
 * out[i][j] = bias[biasAt + j] + x[i] . kernel[kernelAt + j*inputs ..] for i < count, j < rows
 * (x [count][inputs], out [count][rows]). Two rows of x against four kernel rows at a time: eight running
 * sums share each six loads, where project() (one row of x) has four sums for five loads; measured ~1.7x
 * faster at the GRU's sizes.
 */
export function products(
  x: Float64Array,
  count: number,
  inputs: number,
  kernel: Float64Array,
  kernelAt: number,
  bias: Float64Array,
  biasAt: number,
  rows: number,
  out: Float64Array
): void {
  let i = 0
  for (; i + 1 < count; i += 2) {
    const x0 = i * inputs
    const x1 = x0 + inputs
    const o0 = i * rows
    const o1 = o0 + rows
    let j = 0
    for (; j + 3 < rows; j += 4) {
      const w0 = kernelAt + j * inputs
      const w1 = w0 + inputs
      const w2 = w1 + inputs
      const w3 = w2 + inputs
      let a0 = 0
      let a1 = 0
      let a2 = 0
      let a3 = 0
      let c0 = 0
      let c1 = 0
      let c2 = 0
      let c3 = 0
      for (let k = 0; k < inputs; k++) {
        const u = x[x0 + k]
        const v = x[x1 + k]
        const k0 = kernel[w0 + k]
        const k1 = kernel[w1 + k]
        const k2 = kernel[w2 + k]
        const k3 = kernel[w3 + k]
        a0 += u * k0
        a1 += u * k1
        a2 += u * k2
        a3 += u * k3
        c0 += v * k0
        c1 += v * k1
        c2 += v * k2
        c3 += v * k3
      }
      const b = biasAt + j
      out[o0 + j] = bias[b] + a0
      out[o0 + j + 1] = bias[b + 1] + a1
      out[o0 + j + 2] = bias[b + 2] + a2
      out[o0 + j + 3] = bias[b + 3] + a3
      out[o1 + j] = bias[b] + c0
      out[o1 + j + 1] = bias[b + 1] + c1
      out[o1 + j + 2] = bias[b + 2] + c2
      out[o1 + j + 3] = bias[b + 3] + c3
    }
    for (; j < rows; j++) {
      const w = kernelAt + j * inputs
      out[o0 + j] = bias[biasAt + j] + dot(x, x0, kernel, w, inputs)
      out[o1 + j] = bias[biasAt + j] + dot(x, x1, kernel, w, inputs)
    }
  }
  if (i < count) project(x, i * inputs, inputs, kernel, kernelAt, bias, biasAt, rows, out, i * rows)
}

/**
 * The recurrence over projected [D][B*T][3U] (x W_ih, time in input order, without b_ih): all sequences of a
 * direction advance together, step by step, so that each step's recurrent product is one blocked product.
 * Returns the output ([B][T][D*U] or [B][D*U]) and what the backward pass needs.
 */
export function gruForward(
  projected: Float32Array,
  inputBias: Float64Array,
  recurrentKernel: Float64Array,
  recurrentBias: Float64Array,
  shape: GruRecurrenceShape
): { output: Float32Array; saved: Saved } {
  const { batch, steps, units, directions, lastStepOnly } = shape
  const gates = 3 * units
  const cells = directions * batch * steps * units
  const saved: Saved = {
    reset: new Float64Array(cells),
    update: new Float64Array(cells),
    candidate: new Float64Array(cells),
    recurrentNew: new Float64Array(cells),
    previous: new Float32Array(cells)
  }
  const { reset, update, candidate, recurrentNew, previous } = saved
  const output = new Float32Array(batch * (lastStepOnly ? 1 : steps) * directions * units)
  // [D][3U][U]: one kernel row per output, contiguous.
  const kernelRows = transposeBlocks(recurrentKernel, units, gates)
  const state = new Float64Array(batch * units)
  const recurrent = new Float64Array(batch * gates)
  for (let d = 0; d < directions; d++) {
    const biasAt = d * gates
    state.fill(0)
    for (let s = 0; s < steps; s++) {
      const t = d === 0 ? s : steps - 1 - s
      // h0 = 0: the first step's recurrent term is its bias alone.
      if (s > 0)
        products(state, batch, units, kernelRows, d * gates * units, recurrentBias, biasAt, gates, recurrent)
      else
        for (let b = 0; b < batch; b++)
          for (let j = 0; j < gates; j++) recurrent[b * gates + j] = recurrentBias[biasAt + j]
      for (let b = 0; b < batch; b++) {
        const p = ((d * batch + b) * steps + t) * gates
        const q = ((d * batch + b) * steps + s) * units
        const h = b * units
        const g = b * gates
        for (let u = 0; u < units; u++) {
          const r = sigmoid(projected[p + u] + inputBias[biasAt + u] + recurrent[g + u])
          const z = sigmoid(
            projected[p + units + u] + inputBias[biasAt + units + u] + recurrent[g + units + u]
          )
          const hn = recurrent[g + 2 * units + u]
          const n = Math.tanh(projected[p + 2 * units + u] + inputBias[biasAt + 2 * units + u] + r * hn)
          reset[q + u] = r
          update[q + u] = z
          candidate[q + u] = n
          recurrentNew[q + u] = hn
          previous[q + u] = state[h + u]
          state[h + u] = n + z * (state[h + u] - n)
        }
        const at = outputOffset(shape, d, b, s)
        if (at >= 0) for (let u = 0; u < units; u++) output[at + u] = state[h + u]
      }
    }
  }
  return { output, saved }
}

export interface Gradients {
  /** [D][B*T][3U] in the projection's layout (time in input order). */
  projected: Float32Array
  /** [D][B*T][3U] per direction's own step, beside saved.previous for W_hh's gradient. */
  recurrent: Float32Array
  inputBias: Float32Array
  recurrentBias: Float32Array
}

/** Back through time: r, z, n and the state each step started from are the forward's, nothing recomputed. */
export function gruBackward(
  dy: Float32Array,
  saved: Saved,
  recurrentKernel: Float64Array,
  shape: GruRecurrenceShape
): Gradients {
  const { batch, steps, units, directions } = shape
  const gates = 3 * units
  const { reset, update, candidate, recurrentNew, previous } = saved
  const rows = directions * batch * steps
  const grads: Gradients = {
    projected: new Float32Array(rows * gates),
    recurrent: new Float32Array(rows * gates),
    inputBias: new Float32Array(directions * gates),
    recurrentBias: new Float32Array(directions * gates)
  }
  const inputBias = new Float64Array(directions * gates)
  const recurrentBias = new Float64Array(directions * gates)
  // Per sequence: dL/dh of the state being stepped back through, its part through z, the gates' gradients.
  const state = new Float64Array(batch * units)
  const direct = new Float64Array(batch * units)
  const gate = new Float64Array(batch * gates)
  const inputGate = new Float64Array(units)
  const noBias = new Float64Array(units)
  for (let d = 0; d < directions; d++) {
    const biasAt = d * gates
    state.fill(0)
    for (let s = steps - 1; s >= 0; s--) {
      const t = d === 0 ? s : steps - 1 - s
      for (let b = 0; b < batch; b++) {
        const h = b * units
        const g = b * gates
        const at = outputOffset(shape, d, b, s)
        if (at >= 0) for (let u = 0; u < units; u++) state[h + u] += dy[at + u]
        const q = ((d * batch + b) * steps + s) * units
        for (let u = 0; u < units; u++) {
          const dh = state[h + u]
          const r = reset[q + u]
          const z = update[q + u]
          const n = candidate[q + u]
          // h' = (1 - z) n + z h
          const dCandidate = dh * (1 - z) * (1 - n * n)
          gate[g + u] = dCandidate * recurrentNew[q + u] * r * (1 - r)
          gate[g + units + u] = dh * (previous[q + u] - n) * z * (1 - z)
          // The projection's n part enters outside the reset gate, the recurrent one inside.
          gate[g + 2 * units + u] = dCandidate * r
          inputGate[u] = dCandidate
          direct[h + u] = dh * z
        }
        const p = ((d * batch + b) * steps + t) * gates
        const o = ((d * batch + b) * steps + s) * gates
        for (let j = 0; j < gates; j++) {
          const dProjected = j < 2 * units ? gate[g + j] : inputGate[j - 2 * units]
          grads.projected[p + j] = dProjected
          grads.recurrent[o + j] = gate[g + j]
          inputBias[biasAt + j] += dProjected
          recurrentBias[biasAt + j] += gate[g + j]
        }
      }
      // dh_prev = z dh + W_hh dgates; the first step started from the constant h0.
      if (s > 0) {
        products(gate, batch, gates, recurrentKernel, d * units * gates, noBias, 0, units, state)
        for (let i = 0; i < state.length; i++) state[i] += direct[i]
      }
    }
  }
  grads.inputBias.set(inputBias)
  grads.recurrentBias.set(recurrentBias)
  return grads
}

type Recurrence = (
  projected: tf.Tensor,
  inputBias: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor
) => tf.Tensor

/**
 * projected [D, B*T, 3U] = x W_ih per direction, rows in input time order (the backward direction's too),
 * without b_ih; inputBias and recurrentBias [D, 3U]; recurrentKernel [D, U, 3U]. -> [B, T, D*U] or [B, D*U].
 */
export function gruRecurrence(
  projected: tf.Tensor,
  inputBias: tf.Tensor,
  recurrentKernel: tf.Tensor,
  recurrentBias: tf.Tensor,
  shape: GruRecurrenceShape
): tf.Tensor {
  const { batch, steps, units, directions, lastStepOnly } = shape
  const run = tf.customGrad(((
    projectedInput: tf.Tensor,
    inputBiasInput: tf.Tensor,
    kernelInput: tf.Tensor,
    biasInput: tf.Tensor
  ) => {
    const kernel = Float64Array.from(kernelInput.dataSync() as Float32Array)
    const { output, saved } = gruForward(
      projectedInput.dataSync() as Float32Array,
      Float64Array.from(inputBiasInput.dataSync() as Float32Array),
      kernel,
      Float64Array.from(biasInput.dataSync() as Float32Array),
      shape
    )
    const value = tf.tensor(
      output,
      lastStepOnly ? [batch, directions * units] : [batch, steps, directions * units]
    )
    // The typed arrays stay with this closure, which the tape drops after backprop (or never keeps).
    const gradFunc = (dy: tf.Tensor) => {
      const grads = gruBackward(dy.dataSync() as Float32Array, saved, kernel, shape)
      const gates = 3 * units
      const rows = batch * steps
      // One product over all steps: W_hh's gradient is sum_s h_{s-1}^T dgates_s per direction.
      const kernelGradient =
        steps === 1
          ? tf.zeros([directions, units, gates])
          : tf.tidy(() =>
              tf.matMul(
                tf.tensor3d(saved.previous, [directions, rows, units]),
                tf.tensor3d(grads.recurrent, [directions, rows, gates]),
                true,
                false
              )
            )
      return [
        tf.tensor3d(grads.projected, [directions, rows, gates]),
        tf.tensor2d(grads.inputBias, [directions, gates]),
        kernelGradient,
        tf.tensor2d(grads.recurrentBias, [directions, gates])
      ]
    }
    return { value, gradFunc }
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Recurrence
  return run(projected, inputBias, recurrentKernel, recurrentBias)
}
