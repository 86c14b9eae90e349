import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { buildModel, parseModelConfig, type ModelConfigInput } from '../../src-main/engine/model'
import { nativeRateInputShapes } from '../../src-main/engine/model/native-rate-model'
import { createGraphPredictor } from '../../src-main/engine/inference/graph-predictor'
import { graphFunctionsPresent } from '../../src-main/engine/executors/graph-ops'
import { backendsPresent } from './backends-present'
import { numbers } from './layers-reference'
import { attentionAfterResidual } from './reference/variants'

// One window through the whole model as one TensorFlow function must give model.predict's probabilities.
const { names } = await backendsPresent({ suite: 'graph predictor' })
const available = names.includes('tensorflow') && graphFunctionsPresent()
if (!available) console.log('[native predictor] skipped: native TensorFlow with graph functions is absent')

function windowFor(
  config: ReturnType<typeof parseModelConfig>,
  seed: number
): { shape: number[]; values: Float32Array }[] {
  const shapes =
    config.kind === 'paper' ? [[config.steps, 5]] : nativeRateInputShapes(config).map((input) => input.shape)
  return shapes.map((shape, i) => ({
    shape: [1, ...shape],
    values: Float32Array.from(numbers(shape[0] * shape[1], seed + i, 1.5))
  }))
}

describe.skipIf(!available)('the whole model as one TensorFlow function', () => {
  beforeAll(async () => {
    await useBackend('tensorflow')
  })

  test.each<[string, ModelConfigInput]>([
    ['paper', { kind: 'paper' }],
    ['native-rate', { kind: 'native-rate' }],
    [
      'native-rate with heart rate, 3 classes, 2 GRU layers',
      {
        kind: 'native-rate',
        sensors: [
          { name: 'bvp', rateHz: 64, channels: 1 },
          { name: 'eda', rateHz: 4, channels: 1 },
          { name: 'hr', rateHz: 1, channels: 1 }
        ],
        gruLayers: 2,
        classes: 3
      }
    ]
  ])('%s: equals model.predict, and follows new weights', (_, input) => {
    const config = parseModelConfig(input)
    const model = buildModel(config, { seed: 4 })
    const predict = createGraphPredictor(model)
    expect(predict).not.toBeNull()
    const window = windowFor(config, 9)
    const reference = () =>
      tf.tidy(() => {
        const out = model.predict(window.map(({ values, shape }) => tf.tensor(values, shape))) as tf.Tensor
        return Array.from(out.dataSync())
      })
    const check = () => {
      const expected = reference()
      const actual = Array.from(predict!(window.map(({ values }) => values)))
      expect(actual).toHaveLength(config.classes)
      actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 4))
      return actual
    }
    const before = check()
    model.setWeights(
      model.weights.map((weight, i) =>
        tf.tensor(
          numbers(tf.util.sizeFromShape(weight.shape as number[]), 50 + i, 0.3),
          weight.shape as number[]
        )
      )
    )
    const after = check()
    expect(after).not.toEqual(before)
    model.dispose()
  })

  test('declines a layer it does not know, so that live inference takes another path', () => {
    const config = parseModelConfig({ kind: 'paper' })
    const model = buildModel(config, { seed: 1, layers: attentionAfterResidual })
    expect(createGraphPredictor(model)).toBeNull()
    model.dispose()
  })

  test('is absent on another backend', async () => {
    await useBackend('wasm')
    const model = buildModel(parseModelConfig({ kind: 'native-rate' }), { seed: 1 })
    expect(createGraphPredictor(model)).toBeNull()
    model.dispose()
    await useBackend('tensorflow')
  })
})
