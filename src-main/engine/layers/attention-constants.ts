import * as tf from '@tensorflow/tfjs'
import { keptConstant } from '../executors/constants'
import {
  phasesOf,
  spatialKernelSize,
  type AttentionShape,
  type Phases
} from '../passes/channel-spatial-attention'

/**
 * E [G, 14, 1, taps, 1, 2*phase*G, phase*G] with filter = einsum('gmx,gmxjwch->jwch', kernel, E). Entry
 * m = 2j + k of group g (tap j of channel k, k = 0 the mean, 1 the max) is the weight from input step
 * t + j - 3 to output step t: from block tap d, input channel (s, g, k) to output channel (s', g) wherever
 * (d - r) * phase + s - s' + 3 = j. Zeros elsewhere: groups do not mix.
 * With `channels`, the filter for the input gradient instead: channel (s, g, 0) gets mean/C and (s, g, 1)
 * mean/C + max, so that the one Conv2DBackpropInput yields the share every element gets (the mean's
 * gradient) and the share the maxima get (that plus the max's), the two values the backward selects between.
 */
function spatialExpansion(groups: number, { phase, taps }: Phases, channels?: number): tf.Tensor {
  return keptConstant(`spatial:${groups}:${phase}:${channels ?? 0}`, () => {
    const entries = spatialKernelSize * 2
    const half = (spatialKernelSize - 1) / 2
    const reach = (taps - 1) / 2
    const inputs = 2 * phase * groups
    const outputs = phase * groups
    const values = new Float32Array(groups * entries * taps * inputs * outputs)
    const set = (g: number, m: number, d: number, input: number, output: number, value: number) => {
      values[(((g * entries + m) * taps + d) * inputs + input) * outputs + output] = value
    }
    for (let g = 0; g < groups; g++) {
      for (let d = 0; d < taps; d++) {
        for (let s = 0; s < phase; s++) {
          for (let target = 0; target < phase; target++) {
            const j = (d - reach) * phase + s - target + half
            if (j < 0 || j >= spatialKernelSize) continue
            const [mean, max, output] = [(s * groups + g) * 2, (s * groups + g) * 2 + 1, target * groups + g]
            if (channels === undefined) {
              set(g, 2 * j, d, mean, output, 1)
              set(g, 2 * j + 1, d, max, output, 1)
            } else {
              set(g, 2 * j, d, mean, output, 1 / channels)
              set(g, 2 * j, d, max, output, 1 / channels)
              set(g, 2 * j + 1, d, max, output, 1)
            }
          }
        }
      }
    }
    return tf.tensor(values, [groups, entries, 1, taps, 1, inputs, outputs])
  })
}

/**
 * [[1/T, 1/T], [0, 1]]: mixes the MLP's gradient for (average, maximum) into (the share every step gets,
 * the share the maxima get), as spatialExpansion does for the spatial pooling.
 */
function poolingMix(steps: number): tf.Tensor {
  return keptConstant(`pooling:${steps}`, () => tf.tensor2d([1 / steps, 1 / steps, 0, 1], [2, 2]))
}

/** The shape and the three constants attentionForward and attentionBackward take, for x [B, T, G*C]. */
export function attentionSetup(
  batch: number,
  steps: number,
  groups: number,
  channels: number
): { shape: AttentionShape; extras: tf.Tensor[] } {
  const phases = phasesOf(steps, groups)
  return {
    shape: { batch, steps, groups, channels, phases },
    extras: [spatialExpansion(groups, phases), spatialExpansion(groups, phases, channels), poolingMix(steps)]
  }
}
