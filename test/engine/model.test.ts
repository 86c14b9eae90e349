import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadModel, saveModel } from '../../src-main/engine/registry/model-files'
import {
  buildModel,
  countTrainingStepKernels,
  logitsModel,
  nativeRateInputShapes,
  parseModelConfig,
  type NativeRateModelConfig
} from '../../src-main/engine/model'
import { numbers } from './layers-reference'
import { executionPolicyFor } from '../../src-main/engine/runtime/execution-policy'

let directory: string
beforeAll(async () => {
  await tf.setBackend('wasm')
  directory = mkdtempSync(path.join(tmpdir(), 'emoheal-model-'))
})
afterAll(() => rmSync(directory, { recursive: true, force: true }))

/** The published architecture's parameters, counted from its definition (PyTorch shapes), not from tfjs. */
function publishedParameterCount(): number {
  const [channels, filters, kernel, blocks, fusion, hidden, classes] = [5, 25, 2, 3, 128, 64, 2]
  const conv = (inputs: number, outputs: number, taps: number, bias = true) =>
    outputs * inputs * taps + (bias ? outputs : 0)
  const attention = conv(filters, Math.max(1, Math.floor(filters / 16)), 1, false) * 2 + conv(2, 1, 7, false)
  let branch = 0
  for (let block = 0; block < blocks; block++) {
    const inputs = block === 0 ? 1 : filters
    branch += conv(inputs, filters, kernel) + conv(filters, filters, kernel) + attention
    if (inputs !== filters) branch += conv(inputs, filters, 1)
  }
  const gruLayer = (inputs: number) => 2 * (3 * hidden * inputs + 3 * hidden * hidden + 6 * hidden)
  const fused = channels * filters
  return (
    channels * branch +
    conv(fused, fusion, 1) +
    conv(fusion, fused, 1) +
    gruLayer(fused) +
    gruLayer(2 * hidden) +
    conv(2 * hidden, classes, 1)
  )
}

function tensorFromNumbers(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    numbers(
      shape.reduce((a, b) => a * b, 1),
      seed,
      2
    ),
    shape
  )
}

describe('paper preset', () => {
  test('has exactly the published 213,811 parameters', () => {
    const model = buildModel({ kind: 'paper' })
    expect(publishedParameterCount()).toBe(213_811)
    expect(model.countParams()).toBe(publishedParameterCount())
    expect(model.inputs[0].shape).toEqual([null, 20, 5])
    model.dispose()
  })

  test('conv weights start from N(0, 0.01)', () => {
    const model = buildModel({ kind: 'paper' }, { seed: 3 })
    const kernel = model.getLayer('tcn_block_1').weights.find((w) => w.originalName.endsWith('first_kernel'))
    const values = Array.from(kernel!.read().dataSync())
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
    expect(Math.abs(mean)).toBeLessThan(0.001)
    expect(sd).toBeGreaterThan(0.009)
    expect(sd).toBeLessThan(0.011)
    model.dispose()
  })

  test('outputs class probabilities; the logits layer precedes the softmax', () => {
    const model = buildModel({ kind: 'paper', classes: 3 })
    const x = tensorFromNumbers([4, 20, 5], 1)
    const probabilities = model.predict(x) as tf.Tensor
    expect(probabilities.shape).toEqual([4, 3])
    const logits = logitsModel(model).predict(x) as tf.Tensor
    const softmax = tf.softmax(logits).arraySync() as number[][]
    const rows = probabilities.arraySync() as number[][]
    rows.forEach((row, i) => {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
      row.forEach((p, j) => expect(p).toBeCloseTo(softmax[i][j], 6))
    })
    model.dispose()
  })

  test('the same seed gives the same weights', () => {
    const a = buildModel({ kind: 'paper' }, { seed: 9 })
    const b = buildModel({ kind: 'paper' }, { seed: 9 })
    const c = buildModel({ kind: 'paper' }, { seed: 10 })
    const first = (m: tf.LayersModel) => Array.from(m.getWeights()[0].dataSync())
    expect(first(a)).toEqual(first(b))
    expect(first(a)).not.toEqual(first(c))
    for (const m of [a, b, c]) m.dispose()
  })

  test('trains: a few steps lower the loss on a learnable signal', async () => {
    const model = buildModel({ kind: 'paper' }, { seed: 1 })
    const count = 64
    const labels = Array.from({ length: count }, (_, i) => i % 2)
    // Class 1 has a higher eda channel: a planted signal.
    const x = tf.tidy(() =>
      tf.add(
        tensorFromNumbers([count, 20, 5], 2),
        tf.mul(tf.tensor(labels, [count, 1, 1]), tf.tensor([0, 1.5, 0, 0, 0], [1, 1, 5]))
      )
    )
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2)
    model.compile({ optimizer: tf.train.adam(5e-3), loss: 'categoricalCrossentropy' })
    const history = await model.fit(x, y, { epochs: 6, batchSize: 32, shuffle: false, verbose: 0 })
    const losses = history.history.loss as number[]
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9)
    model.dispose()
  })
})

describe('native-rate model', () => {
  const config = parseModelConfig({ kind: 'native-rate' }) as NativeRateModelConfig

  test('one input per sensor at its native rate, 2 classes by default', () => {
    expect(nativeRateInputShapes(config)).toEqual([
      { name: 'bvp', shape: [320, 1] },
      { name: 'eda', shape: [20, 1] },
      { name: 'temp', shape: [20, 1] },
      { name: 'acc', shape: [160, 3] }
    ])
    const model = buildModel(config)
    expect(model.inputs.map((input) => input.shape)).toEqual([
      [null, 320, 1],
      [null, 20, 1],
      [null, 20, 1],
      [null, 160, 3]
    ])
    // eda and temp share length and channels: one grouped branch.
    expect(model.layers.some((layer) => layer.name === 'eda_temp_tcn_block_3')).toBe(true)
    const inputs = nativeRateInputShapes(config).map((input, i) =>
      tensorFromNumbers([3, ...input.shape], 10 + i)
    )
    expect((model.predict(inputs) as tf.Tensor).shape).toEqual([3, 2])
    model.dispose()
  })

  test('heart rate, 3 classes and attention inside blocks are settable', () => {
    const model = buildModel({
      kind: 'native-rate',
      sensors: [
        { name: 'eda', rateHz: 4, channels: 1 },
        { name: 'hr', rateHz: 1, channels: 1 }
      ],
      classes: 3,
      attention: 'in-block',
      kernelSize: 2,
      filters: 8
    })
    const output = model.predict([
      tensorFromNumbers([2, 20, 1], 1),
      tensorFromNumbers([2, 5, 1], 2)
    ]) as tf.Tensor
    expect(output.shape).toEqual([2, 3])
    model.dispose()
  })

  test('bad configs are errors naming the field', () => {
    expect(() => buildModel({ kind: 'native-rate', fusionSteps: 3 })).toThrow(
      /bvp has 320 steps, not a multiple of 3/
    )
    expect(() => buildModel({ kind: 'native-rate', filters: 0 } as never)).toThrow(/field filters/)
    expect(() =>
      buildModel({ kind: 'native-rate', sensors: [{ name: 'eda', rateHz: 3.3, channels: 1 }] })
    ).toThrow(/eda: 3.3 Hz x 5 s is not a whole number/)
  })
})

describe('model files', () => {
  test('save then load gives identical predictions and keeps the manifest', async () => {
    // One input (the paper's) of five channels.
    const stats = [{ mean: [70, 2, 33, 0, 1], std: [9, 0.5, 1, 40, 0.2] }]
    const normalization = {
      kind: 'participant-z-score' as const,
      participants: { P01: stats },
      pooled: stats
    }
    const model = buildModel({ kind: 'paper' }, { seed: 5 })
    const target = path.join(directory, 'paper')
    await saveModel(model, target, {
      config: parseModelConfig({ kind: 'paper' }),
      labels: ['low', 'high'],
      inputChannels: ['hr', 'eda', 'temp', 'bvp', 'acc_mag'],
      normalization,
      sensorRates: { eda: 4 },
      trainingDataHash: 'sha256:abc',
      metrics: { protocol: 'loso', accuracy: { mean: 0.7, sd: 0.1 } }
    })
    expect(readdirSync(target).sort()).toEqual(['manifest.json', 'model.json', 'weights.bin'])
    const { model: loaded, manifest } = await loadModel(target)
    expect(manifest.trainingDataHash).toBe('sha256:abc')
    expect(manifest.parameterCount).toBe(213_811)
    expect(manifest.metrics).toEqual({ protocol: 'loso', accuracy: { mean: 0.7, sd: 0.1 } })
    expect(manifest.normalization).toEqual(normalization)
    const x = tensorFromNumbers([5, 20, 5], 7)
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((model.predict(x) as tf.Tensor).dataSync())
    )
    model.dispose()
    loaded.dispose()
  })

  test('the native-rate model round-trips too', async () => {
    const config = parseModelConfig({ kind: 'native-rate' }) as NativeRateModelConfig
    const model = buildModel(config, { seed: 2 })
    const target = path.join(directory, 'native')
    await saveModel(model, target, { config, labels: ['low', 'high'] })
    const { model: loaded } = await loadModel(target)
    const inputs = nativeRateInputShapes(config).map((input, i) =>
      tensorFromNumbers([2, ...input.shape], 20 + i)
    )
    expect(Array.from((loaded.predict(inputs) as tf.Tensor).dataSync())).toEqual(
      Array.from((model.predict(inputs) as tf.Tensor).dataSync())
    )
    model.dispose()
    loaded.dispose()
  })

  test('saving over a model replaces it whole, and a failed save leaves it intact', async () => {
    const target = path.join(directory, 'replaced')
    const config = parseModelConfig({ kind: 'paper' })
    const first = buildModel(config, { seed: 1 })
    const second = buildModel(config, { seed: 2 })
    await saveModel(first, target, { config, labels: ['low', 'high'], metrics: { run: 1 } })
    await saveModel(second, target, { config, labels: ['low', 'high'], metrics: { run: 2 } })
    const weights = readFileSync(path.join(target, 'weights.bin'))
    const expected = Buffer.concat(
      second.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer))
    )
    expect(weights.equals(expected)).toBe(true)
    // One label is not a label mapping: the save fails before anything is written.
    await expect(saveModel(first, target, { config, labels: ['only'] })).rejects.toThrow()
    const { manifest } = await loadModel(target)
    expect(manifest.metrics).toEqual({ run: 2 })
    expect(readdirSync(directory).filter((name) => name.startsWith('.'))).toEqual([])
    first.dispose()
    second.dispose()
  })

  test('loading a directory without a model names what is missing', async () => {
    await expect(loadModel(path.join(directory, 'nothing'))).rejects.toThrow(/manifest.json is missing/)
    expect(existsSync(path.join(directory, 'nothing'))).toBe(false)
  })
})

test('counts the kernels of one training step', async () => {
  // On wasm the passes run each group as a plain 2-D matMul and the convolutions as Conv2D (faster there);
  // count the batched im2col form.
  const model = buildModel(
    { kind: 'paper' },
    { policy: { ...executionPolicyFor('wasm'), plainMatMuls: false, convolutions: 'columns' } }
  )
  const labels = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2)
  const count = await countTrainingStepKernels(model, tensorFromNumbers([4, 20, 5], 3), labels)
  expect(count.kernels).toBe(count.byName.reduce((total, entry) => total + entry.count, 0))
  // Forward and backward of 3 grouped blocks need batched matMuls; a per-branch model would need 5x as many.
  const matMuls = count.byName.find((entry) => entry.name === 'BatchMatMul')?.count ?? 0
  expect(matMuls).toBeGreaterThan(20)
  expect(matMuls).toBeLessThan(100)
  model.dispose()
})
