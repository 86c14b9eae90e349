import type { LayerPass } from '../ops/pass'
import type { Operand, TensorOps } from '../ops/tensor-ops'

/** Taps of the spatial attention's convolution over time (CBAM's 7). */
export const spatialKernelSize = 7

/**
 * Channel then spatial attention (CBAM), per group: a = sigmoid(W2 (relu(W1 avg_t x) + relu(W1 max_t x))),
 * weighted = x * a; s = sigmoid(conv7([mean_c, max_c](weighted))), out = weighted * s. Weights: first
 * [G, C, hidden], second [G, hidden, C], spatial kernel [G, 7*2, 1] (row 2j + k: tap j of the mean (k = 0) or
 * max (k = 1) plane). Forward and backward are each about 25 ops, where op by op through tfjs one layer is
 * over a hundred kernels per training step. The op-by-op form is test/engine/reference/grouped-ops.ts.
 *
 * Layout: x [B, T, G*C] is viewed as [B, T, G, C], where every step is the same for one group or several:
 * pooling over time is axis 1, over channels axis 3, the shared MLP is an Einsum with G as a batch label.
 * The spatial convolution is one Conv2D (polyphase, see phaseLength) whose filter is built from the kernel by
 * one Einsum with a constant. The gradient of each max goes to every element equal to it, ties included, as
 * tfjs's own gradient of max and maxKeepingAxis give it.
 */

/**
 * The spatial convolution (2 -> 1 channels, 7 taps) runs polyphase: time is cut into blocks of `phase` steps,
 * whose 2 * phase channels are one position's input ([B, T, G, 2] -> [B, T/phase, 1, phase*G*2], a reshape),
 * and a 7-tap kernel becomes a 2r+1 tap kernel over blocks (r = ceil(3 / phase)). TensorFlow's CPU Conv2D with
 * 2 input and 1 output channels took ~2 ms at T = 320 (forward; ~0.7 ms each backprop); the same convolution
 * with 16 steps a block, ~0.15 ms. Channel counts that are multiples of 8 ran fastest.
 */
function phaseLength(steps: number, groups: number): number {
  let best = 1
  for (let phase = 2; phase <= Math.min(16, steps); phase++) {
    if (steps % phase !== 0 || phase * groups > 32) continue
    const aligned = (phase * groups) % 8 === 0
    const bestAligned = (best * groups) % 8 === 0
    if (aligned || !bestAligned) best = phase
  }
  return best
}

export interface Phases {
  phase: number
  /** Taps of the block convolution. */
  taps: number
}

export function phasesOf(steps: number, groups: number): Phases {
  const phase = phaseLength(steps, groups)
  return { phase, taps: 2 * Math.ceil((spatialKernelSize - 1) / 2 / phase) + 1 }
}

export interface AttentionShape {
  batch: number
  steps: number
  groups: number
  channels: number
  phases: Phases
}

/** The forward pass for both executors; extras: the spatial expansion, its input-gradient form, poolingMix. */
export function attentionForward<H extends Operand>(
  ops: TensorOps<H>,
  [input, first, second, kernel]: H[],
  [expansion]: H[],
  { batch, steps, groups, channels, phases }: AttentionShape
): { value: H; saved: H[] } {
  const x4 = ops.reshape(input, [batch, steps, groups, channels])
  const maximum = ops.reduce('Max', x4, 1)
  const pooled = ops.concat([ops.reduce('Mean', x4, 1), maximum], 1) // [B, 2, G, C]
  const hidden = ops.relu(ops.einsum('bkgc,gch->bkgh', pooled, first))
  // The second layer is linear without bias: MLP(avg) + MLP(max) = W2 (relu(W1 avg) + relu(W1 max)).
  const summed = ops.reduce('Sum', hidden, 1)
  const channelWeights = ops.sigmoid(ops.einsum('bkgh,ghc->bkgc', summed, second))
  const weighted = ops.mul(x4, channelWeights)
  const channelMaximum = ops.reduce('Max', weighted, 3)
  const stacked = ops.concat([ops.reduce('Mean', weighted, 3), channelMaximum], 3) // [B, T, G, 2]
  const planes = ops.reshape(stacked, [batch, steps / phases.phase, 1, 2 * phases.phase * groups])
  const filter = ops.einsum('gmx,gmxjwch->jwch', kernel, expansion)
  const logits = ops.reshape(ops.convolveSame(planes, filter), [batch, steps, groups, 1])
  const spatialWeights = ops.sigmoid(logits)
  const value = ops.reshape(ops.mul(weighted, spatialWeights), [batch, steps, groups * channels])
  const saved = [x4, maximum, pooled, hidden, summed, channelWeights, weighted, channelMaximum, planes]
  return { value, saved: [...saved, spatialWeights, first, second, kernel] }
}

export function attentionBackward<H extends Operand>(
  ops: TensorOps<H>,
  dy: H,
  saved: H[],
  [expansion, inputExpansion, mix]: H[],
  { batch, steps, groups, channels, phases }: AttentionShape
): H[] {
  const [x4, maximum, pooled, hidden, summed, channelWeights, weighted, channelMaximum, planes] = saved
  const [spatialWeights, first, second, kernel] = saved.slice(9)
  const dy4 = ops.reshape(dy, x4.shape)
  // Spatial attention: out = weighted * s, s = sigmoid(conv(mean_c, max_c)).
  const direct = ops.mul(dy4, spatialWeights)
  const spatialGradient = ops.reduce('Sum', ops.mul(dy4, weighted), 3)
  const logitGradient = ops.reshape(ops.sigmoidGrad(spatialWeights, spatialGradient), [
    batch,
    steps / phases.phase,
    1,
    phases.phase * groups
  ])
  const filterGradient = ops.convolveSameFilterGradient(
    planes,
    [phases.taps, 1, 2 * phases.phase * groups, phases.phase * groups],
    logitGradient
  )
  const kernelGradient = ops.einsum('jwch,gmxjwch->gmx', filterGradient, expansion)
  const shares = ops.convolveSameInputGradient(
    planes.shape,
    ops.einsum('gmx,gmxjwch->jwch', kernel, inputExpansion),
    logitGradient
  )
  const [everyShare, maximumShare] = ops.split(ops.reshape(shares, [batch, steps, groups, 2]), [1, 1], 3)
  // Ties all get the max's gradient, as tfjs's gradient of max (and maxKeepingAxis) gives it.
  const weightedGradient = ops.add(
    direct,
    ops.select(ops.equal(weighted, channelMaximum), maximumShare, everyShare)
  )
  // Channel attention: weighted = x * a, a = sigmoid(W2 (relu(W1 avg) + relu(W1 max))).
  const weightsGradient = ops.reduce('Sum', ops.mul(weightedGradient, x4), 1)
  const logitsGradient = ops.sigmoidGrad(channelWeights, weightsGradient) // [B, 1, G, C]
  const secondGradient = ops.einsum('bkgh,bkgc->ghc', summed, logitsGradient)
  // [B, 2, G, H]: relu's gradient, the sum's broadcast over the two pools
  const hiddenGradient = ops.mul(ops.einsum('bkgc,ghc->bkgh', logitsGradient, second), ops.sign(hidden))
  const firstGradient = ops.einsum('bkgc,bkgh->gch', pooled, hiddenGradient)
  const mixed = ops.einsum('bkgh,kl->blgh', hiddenGradient, mix)
  const [everyStep, maximumStep] = ops.split(ops.einsum('blgh,gch->blgc', mixed, first), [1, 1], 1)
  const inputGradient = ops.add(
    ops.mul(weightedGradient, channelWeights),
    ops.select(ops.equal(x4, maximum), maximumStep, everyStep)
  )
  return [
    ops.reshape(inputGradient, [batch, steps, groups * channels]),
    firstGradient,
    secondGradient,
    kernelGradient
  ]
}

/** The pass over [x, first, second, spatial kernel]; extras: attentionConstants' three tensors. */
export function attentionPass(shape: AttentionShape): LayerPass {
  return {
    key: `attention ${shape.groups} ${shape.phases.phase} ${shape.phases.taps}`,
    forward: (ops, inputs, constants) => attentionForward(ops, inputs, constants, shape),
    backward: (ops, dy, saved, constants) => attentionBackward(ops, dy, saved, constants, shape)
  }
}
