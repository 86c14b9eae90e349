import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types'
import { ValidationError } from '../../errors'
import { passExecutor, type ExecutionPolicy } from '../runtime/execution-policy'
import { runPass } from '../executors/run-pass'
import { tcnBlockPass } from '../passes/tcn-block'
import { attentionSetup } from './attention-constants'
import { addAttentionWeights, type AttentionWeights } from './attention-weights'
import { dropoutMask } from './dropout'
import { convolutionInitializer, weightSeed } from './initializers'

export interface TcnResidualBlockArgs extends LayerArgs {
  /** Independent branches; the input's features are G blocks of Cin channels. Default 1. */
  groups?: number
  /** Output channels per group. */
  filters: number
  kernelSize: number
  dilation: number
  /** Dropout rate after each convolution, in training only. Default 0. */
  dropout?: number
  /** Channel then spatial attention inside the block, after the two convolutions, as published. Default false. */
  attention?: boolean
  /** Channel attention's hidden units = max(1, filters // reduction). Default 16. */
  reduction?: number
  seed?: number
  /** How the block's pass runs; not saved with the model (a loaded one takes its backend's). */
  policy?: ExecutionPolicy
}

/**
 * A dropout mask drawn in group-major order, [G][B*T][F] (the op-by-op block's, test/engine/reference/), and
 * laid out as [B*T][G*F]: a seeded run draws the same mask on both forms.
 */
function groupMajorMask(groups: number, rows: number, outputs: number, rate: number): Float32Array {
  const drawn = dropoutMask(groups * rows * outputs, rate)
  if (groups === 1) return drawn
  const mask = new Float32Array(drawn.length)
  for (let group = 0; group < groups; group++)
    for (let row = 0; row < rows; row++)
      mask.set(
        drawn.subarray((group * rows + row) * outputs, (group * rows + row + 1) * outputs),
        (row * groups + group) * outputs
      )
  return mask
}

/**
 * A TCN residual block, grouped: conv -> ReLU -> dropout -> conv -> ReLU -> dropout, [channel and spatial
 * attention], then ReLU(out + residual), the residual through a 1x1 convolution where the channel count
 * changes. [B, T, G*Cin] -> [B, T, G*filters]. The math is passes/tcn-block.ts.
 */
export class TcnResidualBlock extends tf.layers.Layer {
  static className = 'EmohealTcnResidualBlock'
  readonly groups: number
  readonly filters: number
  readonly kernelSize: number
  readonly dilation: number
  readonly dropout: number
  readonly attention: boolean
  readonly reduction: number
  readonly seed?: number
  private readonly policy?: ExecutionPolicy
  protected firstKernel!: tf.LayerVariable
  protected firstBias!: tf.LayerVariable
  protected secondKernel!: tf.LayerVariable
  protected secondBias!: tf.LayerVariable
  protected downsampleKernel: tf.LayerVariable | null = null
  protected downsampleBias: tf.LayerVariable | null = null
  protected attentionWeights: AttentionWeights | null = null

  constructor(args: TcnResidualBlockArgs) {
    super(args)
    // A model saved with the former debug variant must not load as the published block.
    if ((args as { attentionAfterResidual?: boolean }).attentionAfterResidual)
      throw new ValidationError(
        `TCN block ${this.name}: attention after the residual is a test variant only`,
        'model'
      )
    this.groups = args.groups ?? 1
    this.filters = args.filters
    this.kernelSize = args.kernelSize
    this.dilation = args.dilation
    this.dropout = args.dropout ?? 0
    this.attention = args.attention ?? false
    this.reduction = args.reduction ?? 16
    this.seed = args.seed
    this.policy = args.policy
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const inputChannels = ((inputShape as tf.Shape)[2] as number) / this.groups
    const { groups, filters, kernelSize, seed } = this
    const zeros = tf.initializers.zeros()
    this.firstKernel = this.addWeight(
      'first_kernel',
      [groups, kernelSize * inputChannels, filters],
      'float32',
      convolutionInitializer(weightSeed(seed, 0))
    )
    this.firstBias = this.addWeight('first_bias', [groups, filters], 'float32', zeros)
    this.secondKernel = this.addWeight(
      'second_kernel',
      [groups, kernelSize * filters, filters],
      'float32',
      convolutionInitializer(weightSeed(seed, 1))
    )
    this.secondBias = this.addWeight('second_bias', [groups, filters], 'float32', zeros)
    if (inputChannels !== filters) {
      this.downsampleKernel = this.addWeight(
        'downsample_kernel',
        [groups, inputChannels, filters],
        'float32',
        convolutionInitializer(weightSeed(seed, 2))
      )
      this.downsampleBias = this.addWeight('downsample_bias', [groups, filters], 'float32', zeros)
    }
    if (this.attention) {
      this.attentionWeights = addAttentionWeights(
        (name, shape, initializer) => this.addWeight(name, shape, 'float32', initializer),
        groups,
        filters,
        this.reduction,
        seed,
        3
      )
    }
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    return [shape[0], shape[1], this.groups * this.filters]
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs
      const rate = kwargs['training'] === true ? this.dropout : 0
      const [batch, steps] = x.shape
      const { groups, filters } = this
      const weights = [this.firstKernel, this.firstBias, this.secondKernel, this.secondBias]
      if (this.downsampleKernel && this.downsampleBias)
        weights.push(this.downsampleKernel, this.downsampleBias)
      const attention = this.attentionWeights
      if (attention) weights.push(attention.channelFirst, attention.channelSecond, attention.spatial)
      const masks =
        rate > 0
          ? [0, 1].map(() =>
              tf.tensor(groupMajorMask(groups, batch * steps, filters, rate), [
                1,
                batch,
                steps,
                groups * filters
              ])
            )
          : []
      const setup = attention ? attentionSetup(batch, steps, groups, filters) : null
      const pass = tcnBlockPass(
        { groups, kernelSize: this.kernelSize, dilation: this.dilation, dropout: rate },
        this.downsampleKernel !== null,
        setup?.shape ?? null
      )
      return runPass(
        passExecutor(this.policy),
        pass,
        [x, ...weights.map((weight) => weight.read())],
        [...masks, ...(setup?.extras ?? [])]
      )
    })
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      filters: this.filters,
      kernelSize: this.kernelSize,
      dilation: this.dilation,
      dropout: this.dropout,
      attention: this.attention,
      reduction: this.reduction,
      ...(this.seed !== undefined ? { seed: this.seed } : {})
    }
  }
}
tf.serialization.registerClass(TcnResidualBlock)
