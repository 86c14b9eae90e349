import { promises as fs } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { createGraphPredictor } from '../../src-main/engine/inference/graph-predictor'
import { graphFunctionsPresent } from '../../src-main/engine/executors/graph-ops'
import { liftDenseLayers } from '../../src-main/engine/layers/saved-dense'
import { buildModel } from '../../src-main/engine/model'
import { logitsModel } from '../../src-main/engine/model/logits'
import { loadModel, saveModel } from '../../src-main/engine/registry/model-files'
import { trainModel } from '../../src-main/engine/training/train-loop'
import { withSeededMathRandom } from '../../src-main/engine/training/random'
import { backendsPresent } from './backends-present'
import { numbers } from './layers-reference'

// Models saved when the fusion and the head were tfjs Dense layers (test/fixtures/tfjs-dense-models, written
// by commit 9e678d6's builders; README.md there) must load into EmohealDense and predict what they predicted
// then; trained one step they must move as the tfjs Dense model moves; and a same-seed model built now has
// their weights.
const fixtures = path.resolve(__dirname, '../fixtures/tfjs-dense-models')
const expected = JSON.parse(await fs.readFile(path.join(fixtures, 'expected.json'), 'utf8')) as Record<
  string,
  {
    layerClasses: string[]
    batch: number
    inputSeeds: number[]
    inputScale: number
    probabilities: number[]
    logits: number[]
  }
>
const { names: backends } = await backendsPresent({ includeCpu: true, suite: 'saved Dense models' })
const modelNames = Object.keys(expected)

/** The saved model as tfjs itself loads it: its Dense layers tfjs's. */
async function loadAsSaved(directory: string): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(
    await fs.readFile(path.join(directory, 'model.json'), 'utf8')
  ) as tf.io.ModelJSON
  const weights = await fs.readFile(path.join(directory, 'weights.bin'))
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)
    })
  )
}

function inputsOf(model: tf.LayersModel, name: string): tf.Tensor[] {
  const { batch, inputSeeds, inputScale } = expected[name]
  return model.inputs.map((symbolic, i) => {
    const shape = [batch, ...(symbolic.shape.slice(1) as number[])]
    return tf.tensor(numbers(tf.util.sizeFromShape(shape), inputSeeds[i], inputScale), shape)
  })
}

const worstDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length)
  return Array.from(a).reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i])), 0)
}

const predicted = (model: tf.LayersModel, inputs: tf.Tensor[]) =>
  tf.tidy(() => ({
    probabilities: Array.from((model.predict(inputs) as tf.Tensor).dataSync()),
    logits: Array.from((logitsModel(model).predict(inputs) as tf.Tensor).dataSync())
  }))

/** The weights by name (the layer's name and the weight's), as a saved model names them. */
const weightsByName = (model: tf.LayersModel) =>
  new Map(model.weights.map((weight) => [weight.originalName, Array.from(weight.read().dataSync())]))

describe('liftDenseLayers', () => {
  const dense = (config: Record<string, unknown>) => ({
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [{ class_name: 'Dense', name: 'd', config: { name: 'd', units: 2, ...config } }]
    }
  })
  const classOf = (topology: unknown) =>
    (topology as { config: { layers: { class_name: string }[] } }).config.layers[0].class_name

  test('lifts a Dense the pass computes exactly, keeping its name, units, activation and bias', () => {
    const lifted = liftDenseLayers(
      dense({ activation: 'relu', use_bias: false, kernel_initializer: {} })
    ) as {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] }
    }
    expect(lifted.config.layers[0]).toMatchObject({
      class_name: 'EmohealDense',
      config: { name: 'd', units: 2, activation: 'relu', use_bias: false }
    })
    expect(lifted.config.layers[0].config).not.toHaveProperty('kernel_initializer')
  })

  test('leaves to tfjs a Dense with another activation, a regularizer or a constraint', () => {
    expect(classOf(liftDenseLayers(dense({ activation: 'tanh' })))).toBe('Dense')
    expect(classOf(liftDenseLayers(dense({ kernel_regularizer: { class_name: 'L1L2' } })))).toBe('Dense')
    expect(classOf(liftDenseLayers(dense({ bias_constraint: { class_name: 'NonNeg' } })))).toBe('Dense')
    expect(classOf(liftDenseLayers(dense({ activation: 'linear', kernel_regularizer: null })))).toBe(
      'EmohealDense'
    )
  })
})

describe.each(backends)('on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })

  describe.each(modelNames)('the %s model', (name) => {
    const directory = path.join(fixtures, name)

    test('loads with EmohealDense in place of every Dense and predicts what it predicted when saved', async () => {
      const { model } = await loadModel(directory)
      const { layerClasses, probabilities, logits } = expected[name]
      expect(layerClasses).toContain('Dense')
      expect(model.layers.map((layer) => layer.getClassName())).toEqual(
        layerClasses.map((className) => (className === 'Dense' ? 'EmohealDense' : className))
      )
      const ours = predicted(model, inputsOf(model, name))
      expect(worstDifference(ours.logits, logits)).toBeLessThan(1e-5)
      expect(worstDifference(ours.probabilities, probabilities)).toBeLessThan(1e-5)
      // tfjs's own Dense gives the same from the same file (the fixture is what the test takes it for).
      const saved = await loadAsSaved(directory)
      expect(saved.layers.map((layer) => layer.getClassName())).toEqual(layerClasses)
      expect(worstDifference(predicted(saved, inputsOf(saved, name)).logits, logits)).toBeLessThan(1e-5)
    })

    /** The saved model loaded (EmohealDense as lifted), or built now from its seed (the paper's fusion ReLU inside the pass). */
    const candidates: [string, () => Promise<tf.LayersModel>][] = [
      ['loaded', async () => (await loadModel(directory)).model],
      [
        'built now from the same seed',
        async () => buildModel((await loadModel(directory)).manifest.config, { seed: 7 })
      ]
    ]

    test.each(candidates)(
      '%s, trained one step, moves as the same model with tfjs Dense layers moves',
      async (_, make) => {
        const ours = await make()
        const saved = await loadAsSaved(directory)
        const before = weightsByName(saved)
        expect([...weightsByName(ours).keys()]).toEqual([...before.keys()])
        const step = async (model: tf.LayersModel) => {
          const inputs = inputsOf(model, name) as tf.Tensor3D[]
          const train = { inputs, labels: tf.tensor1d([0, 1, 1], 'int32'), count: 3 }
          // Dropout included: both draw their masks in the same order from the same seeded Math.random.
          await withSeededMathRandom(11, () =>
            trainModel(model, train, null, {
              epochs: 1,
              batchSize: 3,
              learningRate: 1e-2,
              weightDecay: 1e-4,
              classWeights: [1, 1],
              earlyStoppingPatience: 0,
              plateau: null,
              restoreBest: false,
              seed: 5
            })
          )
          return weightsByName(model)
        }
        const [afterOurs, afterSaved] = [await step(ours), await step(saved)]
        let moved = 0
        for (const [weight, values] of afterSaved) {
          expect(worstDifference(afterOurs.get(weight) as number[], values), weight).toBeLessThan(1e-5)
          moved = Math.max(moved, worstDifference(values, before.get(weight) as number[]))
        }
        expect(moved).toBeGreaterThan(1e-3)
      }
    )

    // Adam's first step is nearly the sign of each gradient: a gradient off by a factor moves it alike, so the
    // loss's gradients are compared themselves.
    test.each(candidates)(
      "%s, the loss's gradient of every weight equals the tfjs Dense model's",
      async (_, make) => {
        const gradients = (model: tf.LayersModel) => {
          const byWeight = new Map<string, number[]>()
          tf.tidy(() => {
            const logits = logitsModel(model)
            const inputs = inputsOf(model, name)
            const labels = tf.oneHot(tf.tensor1d([0, 1, 1], 'int32'), 2)
            const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
            const { grads } = tf.variableGrads(
              () => tf.losses.softmaxCrossEntropy(labels, logits.apply(inputs) as tf.Tensor) as tf.Scalar,
              variables
            )
            model.trainableWeights.forEach((weight, i) =>
              byWeight.set(
                weight.originalName,
                Array.from(grads[variables[i].name]?.dataSync() ?? new Float32Array(weight.read().size))
              )
            )
          })
          return byWeight
        }
        const ours = gradients(await make())
        const saved = gradients(await loadAsSaved(directory))
        expect([...ours.keys()]).toEqual([...saved.keys()])
        for (const [weight, values] of saved) {
          const scale = values.reduce((most, value) => Math.max(most, Math.abs(value)), 0)
          if (/logits|fusion/.test(weight)) expect(scale, weight).toBeGreaterThan(1e-4)
          expect(worstDifference(ours.get(weight) as number[], values), weight).toBeLessThan(
            1e-6 + 1e-4 * scale
          )
        }
      }
    )

    test('is what the builder makes now from the same seed', async () => {
      const { model, manifest } = await loadModel(directory)
      const built = buildModel(manifest.config, { seed: 7 })
      const now = weightsByName(built)
      const then = weightsByName(model)
      expect([...now.keys()]).toEqual([...then.keys()])
      for (const [weight, values] of then) expect(now.get(weight), weight).toEqual(values)
    })
  })
})

describe('saved again', () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'emoheal-dense-'))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))
  beforeAll(async () => {
    await useBackend(backends.includes('tensorflow') ? 'tensorflow' : backends[0])
  })

  test.each(modelNames)('the %s model is written with EmohealDense and reads back the same', async (name) => {
    const { model, manifest } = await loadModel(path.join(fixtures, name))
    const target = path.join(directory, name)
    await saveModel(model, target, { config: manifest.config, labels: manifest.labels })
    const topology = await fs.readFile(path.join(target, 'model.json'), 'utf8')
    expect(topology).toContain('"class_name":"EmohealDense"')
    expect(topology).not.toContain('"class_name":"Dense"')
    const reloaded = (await loadModel(target)).model
    expect(
      worstDifference(predicted(reloaded, inputsOf(reloaded, name)).logits, expected[name].logits)
    ).toBeLessThan(1e-5)
  })

  const graph = backends.includes('tensorflow') && graphFunctionsPresent()
  if (!graph) console.log('[saved Dense models] one-function prediction skipped: no graph functions here')
  test.skipIf(!graph)(
    'the whole model as one TensorFlow function (walkModel) predicts the same with either dense layer',
    async () => {
      for (const name of modelNames) {
        const directory = path.join(fixtures, name)
        for (const model of [(await loadModel(directory)).model, await loadAsSaved(directory)]) {
          const predictor = createGraphPredictor(model)
          expect(predictor, name).not.toBeNull()
          const inputs = inputsOf(model, name)
          const window = inputs.map((input) => input.slice(0, 1).dataSync() as Float32Array)
          const probabilities = predictor!(window.length === 1 ? window[0] : window)
          expect(worstDifference(probabilities, expected[name].probabilities.slice(0, 2))).toBeLessThan(1e-5)
        }
      }
    }
  )
})
