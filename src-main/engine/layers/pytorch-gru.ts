import * as tf from '@tensorflow/tfjs'
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology'
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types'
import { ValidationError } from '../../errors'
import { passExecutor, type ExecutionPolicy } from '../runtime/execution-policy'
import { runPass } from '../executors/run-pass'
import { gruLayerPass } from '../passes/gru-layer'
import { pytorchUniformInitializer, weightSeed } from './initializers'

export interface PytorchGruArgs extends LayerArgs {
  /** Hidden units per direction. */
  units: number
  /** Stacked layers; layer l > 0 reads layer l-1's output. Default 1. */
  numLayers?: number
  /** Default true. */
  bidirectional?: boolean
  /** Output [B, T, D*units] instead of the last step [B, D*units]. Default false. */
  returnSequences?: boolean
  /** Dropout between stacked layers, in training only (PyTorch's `dropout` argument). Default 0. */
  dropoutBetweenLayers?: number
  seed?: number
  /** How the layers' pass runs; not saved with the model (a loaded one takes its backend's). */
  policy?: ExecutionPolicy
}

export interface GruLayerWeights {
  /** [D, input, 3*units], gate columns r, z, n (PyTorch's weight_ih transposed). */
  inputKernel: tf.LayerVariable
  /** [D, units, 3*units] (weight_hh transposed). */
  recurrentKernel: tf.LayerVariable
  inputBias: tf.LayerVariable
  recurrentBias: tf.LayerVariable
}

/**
 * A stacked, bidirectional GRU with PyTorch's semantics, one pass per layer (passes/gru-layer.ts):
 * [B, T, input] -> [B, T, D*units] or the last step [B, D*units] (PyTorch's out[:, -1, :]).
 */

export class PytorchGru extends tf.layers.Layer {
  static className = 'EmohealPytorchGru'
  readonly units: number
  readonly numLayers: number
  readonly bidirectional: boolean
  readonly returnSequences: boolean
  readonly dropoutBetweenLayers: number
  readonly seed?: number
  private readonly policy?: ExecutionPolicy
  protected layerWeights: GruLayerWeights[] = []

  constructor(args: PytorchGruArgs) {
    super(args)
    // A model saved with the former debug variant must not load as the real gating.
    if ((args as { resetBefore?: boolean }).resetBefore)
      throw new ValidationError(`GRU layer ${this.name}: reset-before gating is a test variant only`, 'model')
    this.units = args.units
    this.numLayers = args.numLayers ?? 1
    this.bidirectional = args.bidirectional ?? true
    this.returnSequences = args.returnSequences ?? false
    this.dropoutBetweenLayers = args.dropoutBetweenLayers ?? 0
    this.seed = args.seed
    this.policy = args.policy
  }

  get directions(): number {
    return this.bidirectional ? 2 : 1
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const { units, directions, seed } = this
    let inputSize = (inputShape as tf.Shape)[2] as number
    this.layerWeights = []
    for (let layer = 0; layer < this.numLayers; layer++) {
      const initializer = (index: number) =>
        pytorchUniformInitializer(units, weightSeed(seed, layer * 4 + index))
      this.layerWeights.push({
        inputKernel: this.addWeight(
          `layer${layer}_input_kernel`,
          [directions, inputSize, 3 * units],
          'float32',
          initializer(0)
        ),
        recurrentKernel: this.addWeight(
          `layer${layer}_recurrent_kernel`,
          [directions, units, 3 * units],
          'float32',
          initializer(1)
        ),
        inputBias: this.addWeight(
          `layer${layer}_input_bias`,
          [directions, 3 * units],
          'float32',
          initializer(2)
        ),
        recurrentBias: this.addWeight(
          `layer${layer}_recurrent_bias`,
          [directions, 3 * units],
          'float32',
          initializer(3)
        )
      })
      inputSize = directions * units
    }
    this.built = true
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape
    const features = this.directions * this.units
    return this.returnSequences ? [shape[0], shape[1], features] : [shape[0], features]
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const training = kwargs['training'] === true
      const executor = passExecutor(this.policy)
      let x = Array.isArray(inputs) ? inputs[0] : inputs
      const last = this.layerWeights.length - 1
      for (const [layer, weights] of this.layerWeights.entries()) {
        if (layer > 0 && training && this.dropoutBetweenLayers > 0)
          x = tf.dropout(x, this.dropoutBetweenLayers)
        const { inputKernel, inputBias, recurrentKernel, recurrentBias } = weights
        x = runPass(executor, gruLayerPass({ lastStepOnly: layer === last && !this.returnSequences }), [
          x,
          inputKernel.read(),
          inputBias.read(),
          recurrentKernel.read(),
          recurrentBias.read()
        ])
      }
      return x
    })
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      returnSequences: this.returnSequences,
      dropoutBetweenLayers: this.dropoutBetweenLayers,
      ...(this.seed !== undefined ? { seed: this.seed } : {})
    }
  }
}
tf.serialization.registerClass(PytorchGru)
