/**
 * The op-by-op layers the passes replaced, kept as oracles: tfjs ops with tfjs's own gradients, and the
 * parity-only variants (reset-before gating, attention after the residual sum) that show the PyTorch parity
 * test detects a wrong gate or a misplaced attention. Weight names and layouts are the production layers', so
 * weights copy across by name.
 */
import * as tf from '@tensorflow/tfjs'
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types'
import type { AttentionWeights } from '../../../src-main/engine/layers/attention-weights'
import { ChannelSpatialAttention } from '../../../src-main/engine/layers/channel-spatial-attention'
import {
  TcnResidualBlock,
  type TcnResidualBlockArgs
} from '../../../src-main/engine/layers/tcn-residual-block'
import { dropout } from '../../../src-main/engine/layers/dropout'
import {
  PytorchGru,
  type GruLayerWeights,
  type PytorchGruArgs
} from '../../../src-main/engine/layers/pytorch-gru'
import {
  causalShape,
  fromGroups,
  groupedChannelAttention,
  groupedConvolution,
  groupedSpatialAttention,
  toGroups
} from './grouped-ops'

export interface ReferenceTcnBlockArgs extends TcnResidualBlockArgs {
  /**
   * Debug only: apply the attention after ReLU(out + residual) instead of before the residual sum. Exists so
   * that a test can show that PyTorch parity detects attention in the wrong place.
   */
  attentionAfterResidual?: boolean
}

/**
 * The op-by-op TCN residual block as it ran before passes/tcn-block.ts, with the parity-only variant
 * `attentionAfterResidual`: the production block's weights (it builds them), another forward. Grouped: conv ->
 * ReLU -> dropout -> conv -> ReLU -> dropout, [channel and spatial attention], then ReLU(out + residual), the
 * residual through a 1x1 convolution where the channel count changes. [B, T, G*Cin] -> [B, T, G*filters].
 */
export class ReferenceTcnBlock extends TcnResidualBlock {
  static override className = 'EmohealReferenceTcnBlock'
  readonly attentionAfterResidual: boolean

  constructor(args: ReferenceTcnBlockArgs) {
    const { attentionAfterResidual, ...published } = args
    super(published)
    this.attentionAfterResidual = attentionAfterResidual ?? false
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const training = kwargs['training'] === true
      const x = toGroups(Array.isArray(inputs) ? inputs[0] : inputs, this.groups)
      const shape = causalShape(this.kernelSize, this.dilation)
      let out: tf.Tensor4D = tf.relu(
        groupedConvolution(x, this.firstKernel.read(), this.firstBias.read(), shape)
      )
      if (training && this.dropout > 0) out = dropout(out, this.dropout) as tf.Tensor4D
      out = tf.relu(groupedConvolution(out, this.secondKernel.read(), this.secondBias.read(), shape))
      if (training && this.dropout > 0) out = dropout(out, this.dropout) as tf.Tensor4D
      if (this.attentionWeights && !this.attentionAfterResidual) out = this.attend(out, this.attentionWeights)
      const residual =
        this.downsampleKernel && this.downsampleBias
          ? groupedConvolution(x, this.downsampleKernel.read(), this.downsampleBias.read(), causalShape(1, 1))
          : x
      out = tf.relu(tf.add(out, residual)) as tf.Tensor4D
      if (this.attentionWeights && this.attentionAfterResidual) out = this.attend(out, this.attentionWeights)
      return fromGroups(out)
    })
  }

  private attend(x: tf.Tensor4D, weights: AttentionWeights): tf.Tensor4D {
    const weighted = groupedChannelAttention(x, weights.channelFirst.read(), weights.channelSecond.read())
    return groupedSpatialAttention(weighted, weights.spatial.read())
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), attentionAfterResidual: this.attentionAfterResidual }
  }
}
tf.serialization.registerClass(ReferenceTcnBlock)

export interface ReferenceGruArgs extends PytorchGruArgs {
  /**
   * Debug only: "reset before" gating, n = tanh(W_in x + b_in + W_hn (r * h) + b_hn), as Keras's default GRU.
   * Exists so that a test can show that PyTorch parity detects the wrong gating.
   */
  resetBefore?: boolean
}

/**
 * The op-by-op GRU as it ran before passes/gru-layer.ts, tfjs's own gradients, with the parity-only variant
 * `resetBefore`. A GRU with PyTorch's semantics (tfjs's GRU has no "reset after" mode): gates r, z, n;
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h, h0 = 0.
 * Both directions run as one batched computation; the backward direction reads the time-reversed input.
 * [B, T, input] -> [B, T, D*units] or the last step [B, D*units] (PyTorch's out[:, -1, :]).
 */
/** One step's input projection (x W_ih + b_ih), [D, B, 2U] for the reset and update gates, [D, B, U] for n. */
interface StepInput {
  resetUpdate: tf.Tensor
  candidate: tf.Tensor
}

export class ReferenceGru extends PytorchGru {
  static override className = 'EmohealReferenceGru'
  readonly resetBefore: boolean

  constructor(args: ReferenceGruArgs) {
    const { resetBefore, ...published } = args
    super(published)
    this.resetBefore = resetBefore ?? false
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const training = kwargs['training'] === true
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D
      const last = this.layerWeights.length - 1
      for (const [layer, weights] of this.layerWeights.entries()) {
        if (layer > 0 && training && this.dropoutBetweenLayers > 0)
          x = tf.dropout(x, this.dropoutBetweenLayers) as tf.Tensor3D
        const lastStepOnly = layer === last && !this.returnSequences
        const output = this.runLayer(x, weights, lastStepOnly)
        if (lastStepOnly) return output
        x = output as tf.Tensor3D
      }
      return x
    })
  }

  /**
   * One layer op by op, both directions batched. With lastStepOnly, PyTorch's out[:, -1, :] [B, D*units] is
   * the forward direction's last state beside the backward direction's first (it has read only the last
   * step), taken without stacking the sequence: the stack, reverse, concat and slice, and their gradients,
   * which give every step an output gradient of zeros to add, cost about 30 kernels a training step at 20
   * steps.
   */
  private runLayer(x: tf.Tensor3D, weights: GruLayerWeights, lastStepOnly: boolean): tf.Tensor {
    const { units, directions } = this
    const [batch, steps, inputSize] = x.shape
    // A one-step sequence reads the same forwards and backwards.
    const backwardInput = steps === 1 ? x : tf.reverse(x, 1)
    const perDirection = directions === 2 ? tf.stack([x, backwardInput]) : tf.expandDims(x, 0)
    const projected = tf.add(
      tf.matMul(tf.reshape(perDirection, [directions, batch * steps, inputSize]), weights.inputKernel.read()),
      tf.reshape(weights.inputBias.read(), [directions, 1, 3 * units])
    )
    // One unstack (its gradient one stack) instead of a slice and a reshape per step.
    // The reset/update and candidate parts split once for all steps, not once per step (and the gradient's
    // concat likewise): two unstacks instead of one unstack and T splits.
    const [resetUpdateParts, newParts] =
      steps === 1
        ? tf.split(projected, [2 * units, units], 2).map((part) => [part])
        : tf
            .split(tf.reshape(projected, [directions, batch, steps, 3 * units]), [2 * units, units], 3)
            .map((part) => tf.unstack(part, 2))
    const recurrentKernel = weights.recurrentKernel.read()
    const recurrentBias = tf.reshape(weights.recurrentBias.read(), [directions, 1, 3 * units])
    let state: tf.Tensor | null = null
    const outputs: tf.Tensor[] = []
    resetUpdateParts.forEach((inputResetUpdate, step) => {
      const input = { resetUpdate: inputResetUpdate, candidate: newParts[step] }
      state = this.resetBefore
        ? this.stepResetBefore(input, state, recurrentKernel, recurrentBias)
        : this.step(input, state, recurrentKernel, recurrentBias)
      outputs.push(state)
    })
    if (lastStepOnly) {
      const final = outputs[outputs.length - 1]
      if (directions === 1) return tf.reshape(final, [batch, units])
      const forward = tf.slice(final, [0, 0, 0], [1, batch, units])
      const backward = tf.slice(outputs[0], [1, 0, 0], [1, batch, units])
      return tf.reshape(tf.concat([forward, backward], 2), [batch, directions * units])
    }
    if (steps === 1) {
      // [D, B, U] -> [B, 1, D*U] without the stack, unstack, reverse and concat of the general case.
      const [only] = outputs as tf.Tensor[]
      const features = directions === 1 ? only : tf.transpose(only, [1, 0, 2])
      return tf.reshape(features, [batch, 1, directions * units])
    }
    const sequence = tf.stack(outputs, 2) as tf.Tensor4D
    if (directions === 1) return tf.reshape(sequence, [batch, steps, units])
    const [forward, backward] = tf.unstack(sequence, 0)
    return tf.concat([forward, tf.reverse(backward, 1)], 2) as tf.Tensor3D
  }

  /** One step for all directions at once; h0 = 0 saves the first recurrent matMul. */
  private step(input: StepInput, state: tf.Tensor | null, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    const units = this.units
    const recurrent = state ? tf.add(tf.matMul(state, kernel), bias) : bias
    const { resetUpdate: inputResetUpdate, candidate: inputNew } = input
    const [recurrentResetUpdate, recurrentNew] = tf.split(recurrent, [2 * units, units], 2)
    const gates = tf.sigmoid(tf.add(inputResetUpdate, recurrentResetUpdate))
    const [reset, update] = tf.split(gates, 2, 2)
    const candidate = tf.tanh(tf.add(inputNew, tf.mul(reset, recurrentNew)))
    // h' = (1 - z) n + z h = n + z (h - n)
    return state
      ? tf.add(candidate, tf.mul(update, tf.sub(state, candidate)))
      : tf.sub(candidate, tf.mul(update, candidate))
  }

  private stepResetBefore(
    input: StepInput,
    state: tf.Tensor | null,
    kernel: tf.Tensor,
    bias: tf.Tensor
  ): tf.Tensor {
    const units = this.units
    const [directions, batch] = input.candidate.shape
    const previous = state ?? tf.zeros([directions, batch, units])
    const [kernelResetUpdate, kernelNew] = tf.split(kernel, [2 * units, units], 2)
    const [biasResetUpdate, biasNew] = tf.split(bias, [2 * units, units], 2)
    const { resetUpdate: inputResetUpdate, candidate: inputNew } = input
    const gates = tf.sigmoid(
      tf.add(inputResetUpdate, tf.add(tf.matMul(previous, kernelResetUpdate), biasResetUpdate))
    )
    const [reset, update] = tf.split(gates, 2, 2)
    const candidate = tf.tanh(
      tf.add(inputNew, tf.add(tf.matMul(tf.mul(reset, previous), kernelNew), biasNew))
    )
    return tf.add(candidate, tf.mul(update, tf.sub(previous, candidate)))
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), resetBefore: this.resetBefore }
  }
}
tf.serialization.registerClass(ReferenceGru)

/**
 * The op-by-op channel then spatial attention as it ran before passes/channel-spatial-attention.ts: the
 * production layer's weights, another forward.
 */
export class ReferenceChannelSpatialAttention extends ChannelSpatialAttention {
  static override className = 'EmohealReferenceChannelSpatialAttention'

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = toGroups(Array.isArray(inputs) ? inputs[0] : inputs, this.groups)
      const { channelFirst, channelSecond, spatial } = this.attention
      const weighted = groupedChannelAttention(x, channelFirst.read(), channelSecond.read())
      return fromGroups(groupedSpatialAttention(weighted, spatial.read()))
    })
  }
}
tf.serialization.registerClass(ReferenceChannelSpatialAttention)
