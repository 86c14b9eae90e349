import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCommandArgs } from '../../src-main/cli/command'
import { modelExportEdgeCommand } from '../../src-main/cli/commands/model-edge'
import { predictCommand } from '../../src-main/cli/commands/predict'
import { exportEdgeModel, quantizeWeights } from '../../src-main/engine/edge/edge-export'
import { float16Bits } from '../../src-main/engine/formats/float16'
import { buildModel, type ModelConfigInput } from '../../src-main/engine/model'
import { loadModel, saveModel } from '../../src-main/engine/registry/model-files'
import { extractWindows } from '../../src-main/engine/windows/extract'
import { inputTensors } from '../../src-main/engine/training/tensors'
import { createPlantedStudy } from './planted-study'

let dir: string

beforeAll(async () => {
  await tf.setBackend('wasm')
  dir = mkdtempSync(join(tmpdir(), 'emoheal-edge-'))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A model whose weights are large enough that its probabilities spread far from 0.5 across inputs. */
async function savedModel(name: string, config: ModelConfigInput, seed: number): Promise<string> {
  const model = buildModel(config, { seed })
  model.setWeights(
    model.getWeights().map((weight, index) => {
      const fanIn = weight.shape.length > 1 ? weight.shape[weight.shape.length - 2] : 4
      return tf.randomNormal(weight.shape, 0, 1.2 / Math.sqrt(fanIn), 'float32', seed * 100 + index)
    })
  )
  const directory = join(dir, name)
  await saveModel(model, directory, { config, labels: ['low', 'high'] })
  model.dispose()
  return directory
}

function randomInputs(shapes: number[][], count: number, seed: number): tf.Tensor[] {
  return shapes.map((shape, index) => tf.randomNormal([count, ...shape], 0, 1, 'float32', seed + index))
}

async function probabilities(model: tf.LayersModel, inputs: tf.Tensor[]): Promise<number[][]> {
  const output = model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor
  const rows = (await output.array()) as number[][]
  output.dispose()
  return rows
}

describe('float16 encoding', () => {
  it('gives the IEEE half precision bits, rounding to nearest even', () => {
    expect(float16Bits(1)).toBe(0x3c00)
    expect(float16Bits(-2)).toBe(0xc000)
    expect(float16Bits(0)).toBe(0)
    expect(float16Bits(65504)).toBe(0x7bff)
    expect(float16Bits(1e5)).toBe(0x7c00)
    expect(float16Bits(-Infinity)).toBe(0xfc00)
    // 0.1 lies between 0x2e66 (0.0999755859375) and 0x2e67 (0.10003662109375), nearer the first.
    expect(float16Bits(0.1)).toBe(0x2e66)
    // Exactly halfway between 1 and the next half: ties go to the even mantissa.
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00)
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02)
    // Subnormal: 1e-7 = 1.68 units of 2^-24, so 2 units.
    expect(float16Bits(1e-7)).toBe(0x0002)
    expect(float16Bits(2 ** -14)).toBe(0x0400)
  })

  it('round-trips through tfjs decodeWeights within half precision', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 7) - 4))
    const spec = { name: 'w', shape: [1000], dtype: 'float32' as const }
    const quantized = quantizeWeights([spec], values.slice().buffer, 'float16')
    expect(quantized.weightData.byteLength).toBe(2000)
    const decoded = tf.io.decodeWeights(quantized.weightData, quantized.weightSpecs).w.dataSync()
    let maxRelative = 0
    values.forEach((value, i) => {
      if (Math.abs(value) >= 2 ** -14)
        maxRelative = Math.max(maxRelative, Math.abs(decoded[i] - value) / Math.abs(value))
      else expect(Math.abs(decoded[i] - value)).toBeLessThanOrEqual(2 ** -25)
    })
    // Half precision keeps 11 significant bits: relative error at most 2^-11.
    expect(maxRelative).toBeLessThanOrEqual(2 ** -11)
    expect(maxRelative).toBeGreaterThan(0)
  })
})

describe('uint8 encoding', () => {
  it('decodes within half a step and keeps zero exact', () => {
    const values = Float32Array.from({ length: 500 }, (_, i) => (i % 50 === 0 ? 0 : Math.cos(i) * 0.7 + 0.2))
    const spec = { name: 'w', shape: [500], dtype: 'float32' as const }
    const quantized = quantizeWeights([spec], values.slice().buffer, 'uint8')
    expect(quantized.weightData.byteLength).toBe(500)
    const decoded = tf.io.decodeWeights(quantized.weightData, quantized.weightSpecs).w.dataSync()
    const low = Math.min(0, ...values)
    const high = Math.max(0, ...values)
    const step = (high - low) / 255
    values.forEach((value, i) => {
      expect(Math.abs(decoded[i] - value)).toBeLessThanOrEqual(step / 2 + 1e-6)
      if (value === 0) expect(decoded[i]).toBe(0)
    })
    expect(quantized.maxError).toBeLessThanOrEqual(step / 2 + 1e-6)
  })

  it('refuses a weight that is not finite, naming it', () => {
    const values = Float32Array.from([1, Number.NaN, 2])
    expect(() =>
      quantizeWeights([{ name: 'gru/kernel', shape: [3], dtype: 'float32' }], values.buffer, 'uint8')
    ).toThrow(/gru\/kernel holds NaN at index 1/)
  })
})

describe('edge export of a saved model', () => {
  const cases: { dtype: 'float16' | 'uint8'; tolerance: number; minimumAgreement: number }[] = [
    { dtype: 'float16', tolerance: 2e-3, minimumAgreement: 0.99 },
    { dtype: 'uint8', tolerance: 0.03, minimumAgreement: 0.9 }
  ]
  for (const { dtype, tolerance, minimumAgreement } of cases) {
    it(`paper preset, ${dtype}: loads from disk, is smaller, predicts within ${tolerance} of float32`, async () => {
      const source = await savedModel(`paper-${dtype}`, { kind: 'paper' }, 3)
      const out = join(dir, `paper-${dtype}-edge`)
      const result = await exportEdgeModel(source, out, { dtype, randomWindows: 128 })

      const float = await loadModel(source)
      const edge = await loadModel(out)
      const inputs = randomInputs([[20, 5]], 64, 21)
      const expected = await probabilities(float.model, inputs)
      const actual = await probabilities(edge.model, inputs)
      // The probabilities spread, so that staying close to them means something.
      const spread = Math.max(...expected.map((row) => row[1])) - Math.min(...expected.map((row) => row[1]))
      expect(spread).toBeGreaterThan(0.2)
      let maxDifference = 0
      expected.forEach((row, i) =>
        row.forEach((p, c) => (maxDifference = Math.max(maxDifference, Math.abs(p - actual[i][c]))))
      )
      expect(maxDifference).toBeLessThan(tolerance)
      expect(maxDifference).toBeGreaterThan(0)

      const bytesPerValue = dtype === 'float16' ? 2 : 1
      expect(statSync(join(out, 'weights.bin')).size).toBe(float.model.countParams() * bytesPerValue)
      expect(statSync(join(source, 'weights.bin')).size).toBe(float.model.countParams() * 4)
      expect(result.size.edgeBytes).toBeLessThan(result.size.sourceBytes)
      expect(result.parameterCount).toBe(213_811)

      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))
      expect(manifest.weightDtype).toBe(dtype)
      expect(manifest.config.kind).toBe('paper')
      const modelJson = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'))
      for (const spec of modelJson.weightsManifest[0].weights) expect(spec.quantization.dtype).toBe(dtype)
      expect(result.evaluation.on).toBe('random')
      expect(result.evaluation.windows).toBe(128)
      expect(result.evaluation.agreement).toBeGreaterThanOrEqual(minimumAgreement)
      expect(result.evaluation.maxProbabilityDifference).toBeLessThan(tolerance)
      expect(result.evaluation.accuracyChange).toBeNull()
      tf.dispose(inputs)
      float.model.dispose()
      edge.model.dispose()
    })
  }

  it('native-rate model, float16: several inputs, same tolerance', async () => {
    const config: ModelConfigInput = { kind: 'native-rate', filters: 8, dilations: [1, 2] }
    const source = await savedModel('native', config, 5)
    const out = join(dir, 'native-edge')
    const result = await exportEdgeModel(source, out, { dtype: 'float16', randomWindows: 32 })
    const float = await loadModel(source)
    const edge = await loadModel(out)
    const inputs = randomInputs(
      [
        [320, 1],
        [20, 1],
        [20, 1],
        [160, 3]
      ],
      16,
      31
    )
    const expected = await probabilities(float.model, inputs)
    const actual = await probabilities(edge.model, inputs)
    expected.forEach((row, i) => row.forEach((p, c) => expect(Math.abs(p - actual[i][c])).toBeLessThan(2e-3)))
    expect(result.size.edgeWeightBytes).toBe(float.model.countParams() * 2)
    tf.dispose(inputs)
    float.model.dispose()
    edge.model.dispose()
  })

  it('compares on the labelled windows of a study when one is given', async () => {
    const planted = createPlantedStudy({ participants: ['1', '2'], windowsPerParticipant: 12 })
    try {
      const source = await savedModel('paper-study', { kind: 'paper' }, 9)
      const out = join(dir, 'paper-study-edge')
      const result = await exportEdgeModel(source, out, { dtype: 'uint8', study: planted.study })
      const set = extractWindows(planted.study, { preset: 'paper' })
      expect(result.evaluation.on).toBe('study')
      expect(result.evaluation.windows).toBe(set.windows.length)
      // Accuracy of each model, counted here from its own predictions on the same windows.
      const inputs = inputTensors(
        set.windows.map((window) => window.inputs),
        set.inputs
      )
      const accuracyOf = async (model: tf.LayersModel) => {
        const rows = await probabilities(model, inputs)
        return (
          rows.filter((row, i) => (row[1] > row[0] ? 1 : 0) === set.windows[i].label).length / rows.length
        )
      }
      const float = await loadModel(source)
      const edge = await loadModel(out)
      expect(result.evaluation.float32Accuracy).toBeCloseTo(await accuracyOf(float.model), 10)
      expect(result.evaluation.edgeAccuracy).toBeCloseTo(await accuracyOf(edge.model), 10)
      expect(result.evaluation.accuracyChange).toBeCloseTo(
        (result.evaluation.edgeAccuracy as number) - (result.evaluation.float32Accuracy as number),
        10
      )
      tf.dispose(inputs)
      float.model.dispose()
      edge.model.dispose()
    } finally {
      planted.close()
    }
  })

  it('leaves no directory behind when the source is not a model, and rejects a bad dtype', async () => {
    const out = join(dir, 'never')
    await expect(exportEdgeModel(join(dir, 'missing'), out, { dtype: 'float16' })).rejects.toThrow(
      /manifest.json is missing/
    )
    expect(() => statSync(out)).toThrow()
    const run = modelExportEdgeCommand.run({
      values: { model: join(dir, 'paper-float16'), out, dtype: 'int4' },
      positionals: [],
      json: true,
      progress: () => undefined
    })
    await expect(run).rejects.toThrow(/--dtype must be one of float16, uint8, got "int4"/)
  })

  it('emoheal predict --model <edge dir> --input windows.json loads the quantized weights', async () => {
    const source = await savedModel('paper-predict', { kind: 'paper' }, 4)
    const out = join(dir, 'paper-predict-edge')
    await exportEdgeModel(source, out, { dtype: 'uint8', randomWindows: 16 })
    const inputs = randomInputs([[20, 5]], 3, 41)
    const windows = (await inputs[0].array()) as number[][][]
    const edge = await loadModel(out)
    const float = await loadModel(source)
    const expected = await probabilities(edge.model, inputs)
    const floatExpected = await probabilities(float.model, inputs)
    const predict = async (count: number) => {
      const file = join(dir, `windows-${count}.json`)
      const channels = ['hr', 'eda', 'temp', 'bvp', 'acc_mag']
      writeFileSync(file, JSON.stringify({ channels, windows: windows.slice(0, count) }))
      const argv = ['--model', out, '--input', file, '--backend', 'wasm', '--json']
      const { values, positionals } = parseCommandArgs(predictCommand, argv)
      return (await predictCommand.run({ values, positionals, json: true, progress: () => undefined })) as {
        probabilities: number[][]
        windows: number
      }
    }
    // Several windows go through tfjs; one window through the plain-JS forward pass.
    for (const count of [3, 1]) {
      const result = await predict(count)
      expect(result.windows).toBe(count)
      result.probabilities.forEach((row, i) =>
        row.forEach((p, c) => {
          expect(Math.abs(p - expected[i][c])).toBeLessThan(1e-5)
          expect(Math.abs(p - floatExpected[i][c])).toBeLessThan(0.03)
        })
      )
    }
    // The uint8 weights, not the float32 ones, made these probabilities.
    const moved = expected.some((row, i) => row.some((p, c) => Math.abs(p - floatExpected[i][c]) > 1e-6))
    expect(moved).toBe(true)
    tf.dispose(inputs)
    edge.model.dispose()
    float.model.dispose()
  })
})
