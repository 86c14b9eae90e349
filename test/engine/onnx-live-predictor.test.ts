import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { windowShapesOf, type WindowPredictor } from '../../src-main/engine/inference/window-predictor'
import { createOnnxLivePredictor } from '../../src-main/engine/onnx/live-predictor'
import { modelManifest } from '../../src-main/engine/registry/model-files'
import {
  buildModel,
  parseModelConfig,
  type ModelConfig,
  type ModelConfigInput
} from '../../src-main/engine/model'
import { importPaperWeights, readSafetensors } from '../../src-main/engine/torch'

beforeAll(async () => {
  await tf.setBackend('wasm')
})

/** Weights far from the N(0, 0.01) start, so that every part of the model moves the output. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.getWeights().map((weight, index) => tf.randomNormal(weight.shape, 0, 0.4, 'float32', seed + index))
  )
}

/** The model's ONNX graph on ONNX Runtime, the one-window path where native TensorFlow has no functions. */
async function onnxPredictor(model: tf.LayersModel, config: ModelConfig): Promise<WindowPredictor> {
  const labels = Array.from({ length: config.classes }, (_, k) => `class ${k}`)
  const onnx = await createOnnxLivePredictor(model, modelManifest(model, { config, labels }))
  // onnxruntime-node is a dependency: where its binding does not load, live inference loses its fast path.
  expect(onnx, 'onnxruntime-node binding').not.toBeNull()
  return onnx!.predictor
}

/** The largest difference between the tfjs model's and ONNX Runtime's probabilities, window by window. */
async function compare(model: tf.LayersModel, config: ModelConfig, windows: number, seed: number) {
  const fast = await onnxPredictor(model, config)
  const inputs = windowShapesOf(model).map(([, steps, channels], index) =>
    tf.randomNormal([windows, steps, channels], 0, 1.5, 'float32', seed + index)
  )
  const expected = (await (model.predict(inputs) as tf.Tensor).array()) as number[][]
  const arrays = await Promise.all(inputs.map((input) => input.data() as Promise<Float32Array>))
  let largest = 0
  let spread = 0
  for (let w = 0; w < windows; w++) {
    const window = arrays.map((values) => {
      const size = values.length / windows
      return values.slice(w * size, (w + 1) * size)
    })
    const probabilities = fast(window)
    expect(probabilities).toHaveLength(expected[w].length)
    probabilities.forEach((value, k) => (largest = Math.max(largest, Math.abs(value - expected[w][k]))))
    spread = Math.max(spread, Math.abs(expected[w][0] - expected[0][0]))
  }
  tf.dispose(inputs)
  return { largest, spread }
}

describe('one window on ONNX Runtime (onnx/live-predictor.ts)', () => {
  const cases: [string, ModelConfigInput][] = [
    ['paper', { kind: 'paper' }],
    ['paper, 3 classes', { kind: 'paper', classes: 3 }],
    ['native-rate (attention after the TCN)', { kind: 'native-rate' }],
    [
      'native-rate with attention after the TCN, 2 GRU layers, 3 classes',
      { kind: 'native-rate', attention: 'after-tcn', gruLayers: 2, classes: 3 }
    ],
    [
      'native-rate with in-block attention and heart rate',
      {
        kind: 'native-rate',
        attention: 'in-block',
        gruLayers: 2,
        sensors: [
          { name: 'bvp', rateHz: 64, channels: 1 },
          { name: 'eda', rateHz: 4, channels: 1 },
          { name: 'acc', rateHz: 32, channels: 3 },
          { name: 'hr', rateHz: 1, channels: 1 },
          { name: 'temp', rateHz: 4, channels: 1 }
        ]
      }
    ]
  ]
  for (const [name, input] of cases) {
    test(`${name}: matches the tfjs model within 3e-5 on random weights and inputs`, async () => {
      const config = parseModelConfig(input)
      const model = buildModel(config, { seed: 5 })
      randomizeWeights(model, 40)
      const { largest, spread } = await compare(model, config, 6, 9)
      // The windows must give different outputs, or agreement would prove little.
      expect(spread).toBeGreaterThan(1e-3)
      // Both compute in float32, in different orders (ONNX Runtime fuses and reorders): with weights of SD 0.4
      // the logits reach tens, and float32's rounding of them moves a probability by about 1e-5.
      expect(largest).toBeLessThan(3e-5)
      model.dispose()
    })
  }

  test('copies the weights when created: later training does not move it', async () => {
    const config = parseModelConfig({ kind: 'paper' })
    const model = buildModel(config, { seed: 2 })
    randomizeWeights(model, 7)
    const fast = await onnxPredictor(model, config)
    const window = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i))
    const before = fast(window)
    randomizeWeights(model, 70)
    expect(Array.from(fast(window))).toEqual(Array.from(before))
    expect(Array.from((await onnxPredictor(model, config))(window))).not.toEqual(Array.from(before))
    model.dispose()
  })

  test('rejects a window of the wrong size, naming the input', async () => {
    const config = parseModelConfig({ kind: 'paper' })
    const model = buildModel(config, { seed: 1 })
    const fast = await onnxPredictor(model, config)
    expect(() => fast(new Float32Array(99))).toThrow(/input 0 must hold 100 values/)
    expect(() => fast([new Float32Array(100), new Float32Array(100)])).toThrow(/takes 1 inputs/)
    model.dispose()
  })
})

const python = '/usr/bin/python3'
const torchMissing = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0

describe.skipIf(torchMissing)('ONNX Runtime on imported PyTorch weights', () => {
  let directory: string
  beforeAll(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'emoheal-onnx-live-'))
    const script = path.join(__dirname, '..', 'fixtures', 'torch', 'make_paper_parity.py')
    execFileSync(python, [script, directory, '--seed', '17', '--windows', '8'], { encoding: 'utf8' })
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  test('reproduces the tfjs model and PyTorch itself', async () => {
    const config = parseModelConfig({ kind: 'paper' })
    if (config.kind !== 'paper') throw new Error('paper config expected')
    const model = buildModel(config)
    const weightsFile = path.join(directory, 'weights.safetensors')
    importPaperWeights(model, config, readSafetensors(weightsFile, readFileSync(weightsFile)), weightsFile)
    const inputs = JSON.parse(readFileSync(path.join(directory, 'inputs.json'), 'utf8')) as {
      windows: number[][][]
    }
    const torch = JSON.parse(readFileSync(path.join(directory, 'expected.json'), 'utf8')) as {
      probabilities: number[][]
    }
    const fromTfjs = (await (model.predict(tf.tensor3d(inputs.windows)) as tf.Tensor).array()) as number[][]
    const fast = await onnxPredictor(model, config)
    let fromTfjsLargest = 0
    let fromTorchLargest = 0
    inputs.windows.forEach((window, w) => {
      const probabilities = fast(Float32Array.from(window.flat()))
      probabilities.forEach((value, k) => {
        fromTfjsLargest = Math.max(fromTfjsLargest, Math.abs(value - fromTfjs[w][k]))
        fromTorchLargest = Math.max(fromTorchLargest, Math.abs(value - torch.probabilities[w][k]))
      })
    })
    expect(fromTfjsLargest).toBeLessThan(1e-5)
    expect(fromTorchLargest).toBeLessThan(1e-4)
    model.dispose()
  })
})
