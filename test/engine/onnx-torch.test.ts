import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { exportOnnx } from '../../src-main/engine/onnx/export-onnx'
import { rawStreamsOf } from '../../src-main/engine/onnx/model-graph'
import { readModelManifest } from '../../src-main/engine/registry/model-files'
import { importTorchModel } from '../../src-main/engine/torch'
import { resampleByIndex } from '../../src-main/engine/windows/resample'
import { backendsPresent } from './backends-present'
import { numbers } from './layers-reference'
import { loadOrt, maxDifference, rawFeeds, rows } from './onnx-support'

// A model imported from the published PyTorch weights, exported as ONNX, must still give PyTorch's
// probabilities: PyTorch runs on the windows the training code makes from the raw streams the graph reads.
const python = '/usr/bin/python3'
const script = path.join(__dirname, '..', 'fixtures', 'torch', 'make_paper_parity.py')
const torchCheck = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' })
const { ort, reason } = await loadOrt()
const skip = torchCheck.status !== 0 ? `${python} cannot import torch` : ort ? null : reason
if (skip) console.log(`[onnx torch parity] skipped: ${skip}`)
const { names } = await backendsPresent({ suite: 'onnx torch parity', includeCpu: true })

describe.skipIf(skip !== null)('ONNX export of a model imported from PyTorch', () => {
  let directory: string
  beforeAll(async () => {
    await useBackend(names.includes('tensorflow') ? 'tensorflow' : (names[0] ?? 'cpu'))
    directory = mkdtempSync(path.join(tmpdir(), 'emoheal-onnx-torch-'))
    execFileSync(python, [script, directory, '--seed', '11', '--windows', '2'], { encoding: 'utf8' })
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  test('matches PyTorch within 1e-4 on raw windows', async () => {
    const modelDir = path.join(directory, 'imported')
    await importTorchModel(path.join(directory, 'weights.safetensors'), modelDir, { preset: 'paper' })
    const manifest = await readModelManifest(modelDir)
    const streams = rawStreamsOf(manifest)
    const count = 6
    // Raw streams around the scale of standardized signals, each window with its own offsets.
    const raw = Array.from({ length: count }, (_, n) =>
      streams.map((stream, s) =>
        Float32Array.from(
          numbers(stream.samples * stream.channels, 100 * n + s, 1.5),
          (value) => value + ((n * 7 + s * 3) % 5) - 2
        )
      )
    )
    const byName = (window: Float32Array[], name: string) => window[streams.findIndex((s) => s.name === name)]
    const windows = raw.map((window) => {
      const columns = ['hr', 'eda', 'temp', 'bvp', 'acc'].map((name) => {
        const values = byName(window, name)
        if (name !== 'acc') return resampleByIndex(values, 20)
        const magnitude = Float32Array.from({ length: values.length / 3 }, (_, i) =>
          Math.hypot(values[3 * i], values[3 * i + 1], values[3 * i + 2])
        )
        return resampleByIndex(magnitude, 20)
      })
      return Array.from({ length: 20 }, (_, k) => columns.map((column) => column[k]))
    })
    writeFileSync(
      path.join(directory, 'inputs.json'),
      JSON.stringify({ channels: ['hr', 'eda', 'temp', 'bvp', 'acc_mag'], windows })
    )
    execFileSync(python, [script, directory, '--load', path.join(directory, 'weights.safetensors')])
    const torch = JSON.parse(readFileSync(path.join(directory, 'loaded.json'), 'utf8')) as {
      probabilities: number[][]
    }
    const file = path.join(directory, 'imported.onnx')
    await exportOnnx([modelDir], file, { dtype: 'float32', appVersion: 'test' })
    const session = await ort!.InferenceSession.create(file, { logSeverityLevel: 3 })
    const out = await session.run(rawFeeds(ort!, raw, streams))
    const probabilities = rows(out.probabilities.data as Float32Array, 2)
    expect(probabilities).toHaveLength(count)
    expect(maxDifference(probabilities, torch.probabilities)).toBeLessThan(1e-4)
    expect(
      maxDifference(
        torch.probabilities,
        torch.probabilities.map(() => torch.probabilities[0])
      )
    ).toBeGreaterThan(1e-2)
  })
})
