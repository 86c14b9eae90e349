import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  buildModel,
  parseModelConfig,
  type ModelLayers,
  type PaperModelConfig
} from '../../src-main/engine/model'
import { saveModel } from '../../src-main/engine/registry/model-files'
import {
  exportTorchModel,
  importPaperWeights,
  importTorchModel,
  readSafetensors
} from '../../src-main/engine/torch'
import { predictWindows } from '../../src-main/engine/inference/predict-windows'
import { attentionAfterResidual, opByOpLayers, resetBeforeGru } from './reference/variants'

// Debian's torch: the pyenv python3 on PATH has none.
const python = '/usr/bin/python3'
const script = path.join(__dirname, '..', 'fixtures', 'torch', 'make_paper_parity.py')
const torchCheck = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' })
const torchMissing = torchCheck.status !== 0
if (torchMissing)
  console.log(
    `PyTorch parity skipped: ${python} cannot import torch (${(torchCheck.stderr || String(torchCheck.error)).trim().split('\n').pop()})`
  )

interface Expected {
  probabilities: number[][]
  parameters: number
  stateDictKeys: number
  sensitivity: Record<string, number>
}

describe.skipIf(torchMissing)('parity with the published PyTorch model', () => {
  let directory: string
  let expected: Expected
  let inputs: { channels: string[]; windows: number[][][] }
  let weightsFile: string

  beforeAll(async () => {
    await tf.setBackend('wasm')
    directory = mkdtempSync(path.join(tmpdir(), 'emoheal-parity-'))
    execFileSync(python, [script, directory, '--seed', '11', '--windows', '12'], { encoding: 'utf8' })
    expected = JSON.parse(readFileSync(path.join(directory, 'expected.json'), 'utf8')) as Expected
    inputs = JSON.parse(readFileSync(path.join(directory, 'inputs.json'), 'utf8')) as typeof inputs
    weightsFile = path.join(directory, 'weights.safetensors')
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  function maxDifference(actual: number[][], wanted: number[][]): number {
    let largest = 0
    actual.forEach((row, i) =>
      row.forEach((value, j) => (largest = Math.max(largest, Math.abs(value - wanted[i][j]))))
    )
    return largest
  }

  async function predictVariant(layers: Partial<ModelLayers>): Promise<number[][]> {
    const config = parseModelConfig({ kind: 'paper' }) as PaperModelConfig
    const model = buildModel(config, { layers })
    importPaperWeights(model, config, readSafetensors(weightsFile, readFileSync(weightsFile)), weightsFile)
    const output = model.predict(tf.tensor3d(inputs.windows)) as tf.Tensor
    const rows = (await output.array()) as number[][]
    output.dispose()
    model.dispose()
    return rows
  }

  test('the fixture exercises every part of the model', () => {
    expect(expected.parameters).toBe(213_811)
    for (const [part, change] of Object.entries(expected.sensitivity)) {
      expect(change, `zeroing ${part} must move a probability`).toBeGreaterThan(0.01)
    }
  })

  test('imported weights reproduce every PyTorch probability within 1e-4', async () => {
    const outDir = path.join(directory, 'imported')
    const result = await importTorchModel(weightsFile, outDir, { preset: 'paper' })
    expect(result.parameterCount).toBe(213_811)
    expect(result.tensorsRead).toBe(expected.stateDictKeys)
    const prediction = await predictWindows(outDir, inputs)
    expect(prediction.probabilities).toHaveLength(inputs.windows.length)
    const difference = maxDifference(prediction.probabilities, expected.probabilities)
    console.log(`published model: largest probability difference from PyTorch ${difference.toExponential(2)}`)
    expect(difference).toBeLessThan(1e-4)
  })

  test('model.predict through the passes and through the op-by-op references both reproduce PyTorch', async () => {
    for (const [name, layers] of [
      ['passes', {}],
      ['op-by-op references', opByOpLayers]
    ] as const) {
      const difference = maxDifference(await predictVariant(layers), expected.probabilities)
      console.log(`${name}: largest probability difference from PyTorch ${difference.toExponential(2)}`)
      expect(difference, name).toBeLessThan(1e-4)
    }
  })

  test('a GRU with reset-before gating fails parity', async () => {
    const difference = maxDifference(await predictVariant(resetBeforeGru), expected.probabilities)
    console.log(
      `reset-before GRU: largest probability difference from PyTorch ${difference.toExponential(2)}`
    )
    expect(difference).toBeGreaterThan(1e-3)
  })

  test('attention after the residual sum fails parity', async () => {
    const difference = maxDifference(await predictVariant(attentionAfterResidual), expected.probabilities)
    console.log(
      `attention after the residual: largest probability difference from PyTorch ${difference.toExponential(2)}`
    )
    expect(difference).toBeGreaterThan(1e-3)
  })

  test('export then re-import gives identical predictions', async () => {
    const first = path.join(directory, 'first')
    await importTorchModel(weightsFile, first)
    const exported = path.join(directory, 'exported.safetensors')
    const written = await exportTorchModel(first, exported)
    expect(written.tensorsWritten).toBe(expected.stateDictKeys)
    // Same names and values as PyTorch's own state_dict.
    const original = readSafetensors(weightsFile, readFileSync(weightsFile))
    const roundTrip = readSafetensors(exported, readFileSync(exported))
    expect([...roundTrip.keys()].sort()).toEqual([...original.keys()].sort())
    for (const [name, tensor] of original) expect(roundTrip.get(name)?.data, name).toEqual(tensor.data)
    const second = path.join(directory, 'second')
    await importTorchModel(exported, second)
    const a = await predictWindows(first, inputs)
    const b = await predictWindows(second, inputs)
    expect(b.probabilities).toEqual(a.probabilities)
  })

  test('a model made here loads into the PyTorch model with load_state_dict(strict=True)', async () => {
    const config = parseModelConfig({ kind: 'paper' }) as PaperModelConfig
    const model = buildModel(config, { seed: 21 })
    // Larger weights than the N(0, 0.01) start, so that the comparison is not of near-constant outputs.
    model.setWeights(model.getWeights().map((w, i) => tf.mul(w, i % 2 === 0 ? 20 : 1)))
    const modelDir = path.join(directory, 'made-here')
    await saveModel(model, modelDir, { config, labels: ['low', 'high'] })
    const exported = path.join(directory, 'made-here.safetensors')
    await exportTorchModel(modelDir, exported)
    execFileSync(python, [script, directory, '--load', exported], { encoding: 'utf8' })
    const loaded = JSON.parse(readFileSync(path.join(directory, 'loaded.json'), 'utf8')) as {
      probabilities: number[][]
    }
    const ours = (await predictWindows(modelDir, inputs)).probabilities
    expect(maxDifference(loaded.probabilities, ours)).toBeLessThan(1e-4)
    model.dispose()
  })
})
