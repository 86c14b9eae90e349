import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CliInput } from '../../src-main/cli/command'
import { parseCommandArgs } from '../../src-main/cli/command'
import { modelExportEdgeCommand } from '../../src-main/cli/commands/model-edge'
import { importDataset } from '../../src-main/datasets/import-service'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { bundleFiles } from '../../src-main/engine/onnx/edge-bundle'
import { predictOnnxSession } from '../../src-main/engine/onnx/onnx-predictor'
import { StudyStore } from '../../src-main/store/study-store'
import { backendsPresent } from './backends-present'
import { createPlantedStudy, type PlantedStudy } from './planted-study'
import { loadOrt, maxDifference, savedModel } from './onnx-support'
import { numbers } from './layers-reference'

// The edge bundle's example needs only ONNX Runtime: run on an E4 Connect folder, it must print the
// probabilities the app gives the same session imported into a study.
const { ort, reason } = await loadOrt()
if (!ort) console.log(`[onnx edge bundle] skipped: ${reason}`)
const python = '/usr/bin/python3'
const pythonCheck = spawnSync(python, ['-c', 'import onnxruntime, numpy'], { encoding: 'utf8' })
const pythonMissing =
  pythonCheck.status !== 0
    ? `${python} cannot import onnxruntime (pip install onnxruntime): ${(pythonCheck.stderr || String(pythonCheck.error)).trim().split('\n').pop()}`
    : null
if (pythonMissing) console.log(`[onnx edge bundle] the python example is not run: ${pythonMissing}`)
const { names } = await backendsPresent({ suite: 'onnx edge bundle', includeCpu: true })

/** An E4 Connect session folder of `seconds` s: each file's start time row, rate row, then samples. */
function writeE4Folder(folder: string, startS: number, seconds: number): void {
  mkdirSync(folder, { recursive: true })
  const write = (
    name: string,
    rate: number,
    offsetS: number,
    channels: number,
    value: (i: number, c: number) => number
  ) => {
    const count = (seconds - offsetS) * rate
    const head = [
      Array(channels)
        .fill((startS + offsetS).toFixed(6))
        .join(', '),
      Array(channels).fill(rate.toFixed(6)).join(', ')
    ]
    const rows = Array.from({ length: count }, (_, i) =>
      Array.from({ length: channels }, (_, c) => value(i, c)).join(',')
    )
    writeFileSync(path.join(folder, `${name}.csv`), [...head, ...rows].join('\n') + '\n')
  }
  const noise = numbers(64 * seconds * 3, 9, 1)
  write('ACC', 32, 0, 3, (i, c) => Math.round((c === 2 ? 60 : 5) + 8 * noise[(3 * i + c) % noise.length]))
  write('BVP', 64, 0, 1, (i) => Number((40 * Math.sin(i / 9) + 5 * noise[i]).toFixed(2)))
  write('EDA', 4, 0, 1, (i) => Number((2 + 0.3 * Math.sin(i / 17) + 0.05 * noise[i]).toFixed(6)))
  write('TEMP', 4, 0, 1, (i) => Number((33 + 0.2 * noise[i + 7]).toFixed(2)))
  write('HR', 1, 10, 1, (i) => Number((75 + 6 * Math.sin(i / 5) + noise[i + 3]).toFixed(2)))
}

describe.skipIf(!ort)('emoheal model export-edge: the ONNX edge bundle', () => {
  let planted: PlantedStudy
  let directory: string
  beforeAll(async () => {
    await useBackend(names.includes('tensorflow') ? 'tensorflow' : (names[0] ?? 'cpu'))
    planted = createPlantedStudy({ participants: ['1', '2', '3'], windowsPerParticipant: 4, seed: 3 })
    directory = mkdtempSync(path.join(tmpdir(), 'emoheal-edge-bundle-'))
  })
  afterAll(() => {
    planted?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  test('writes the files, a model card, and an example that prints the app probabilities', async () => {
    const { directory: modelDir, model } = await savedModel(planted.study, { kind: 'paper' }, 5)
    model.dispose()
    const out = path.join(directory, 'bundle')
    const argv = ['--model', modelDir, '--out', out, '--study', planted.path, '--json']
    const { values, positionals } = parseCommandArgs(modelExportEdgeCommand, argv)
    const input: CliInput = { values, positionals, json: true, progress: () => undefined }
    const result = (await modelExportEdgeCommand.run(input)) as {
      kind: string
      variants: { dtype: string; bytes: number; maxProbabilityChange: number; accuracy: number | null }[]
      evaluation: { on: string; windows: number }
    }
    expect(result.kind).toBe('bundle')
    expect(readdirSync(out).sort()).toEqual(Object.values(bundleFiles).sort())
    expect(result.evaluation).toMatchObject({ on: 'study', windows: 12 })
    const [float32, float16, uint8] = result.variants
    expect(float32.maxProbabilityChange).toBe(0)
    expect(float16.bytes).toBeLessThan(float32.bytes)
    expect(uint8.bytes).toBeLessThan(float32.bytes)
    expect(float16.maxProbabilityChange).toBeLessThan(1e-2)
    expect(uint8.accuracy).not.toBeNull()
    const card = readFileSync(path.join(out, bundleFiles.card), 'utf8')
    for (const heading of [
      'What it was trained on',
      'How it was evaluated',
      'Inputs',
      'Intended use and limits'
    ])
      expect(card).toContain(`## ${heading}`)
    expect(card).toContain('| bvp | 64 Hz | 320 | 1 |')
    expect(card).toContain('the normalization.')
    expect(card).toContain('Mean accuracy 70.0%, weighted F1 0.650; majority-class baseline 60.0%')
    expect(modelExportEdgeCommand.format!(result)).toContain('model-uint8.onnx')

    // The app's probabilities for an E4 Connect session imported into a study.
    const e4 = path.join(directory, '1700000000_A01234')
    writeE4Folder(e4, 1_700_000_000, 60)
    const studyPath = path.join(directory, 'edge.emoheal')
    const study = new StudyStore(studyPath, { create: true, name: 'edge' })
    let app: Awaited<ReturnType<typeof predictOnnxSession>>
    try {
      importDataset(study, { kind: 'e4', path: e4, participant: 'D1' })
      const [session] = study.listSessions()
      app = await predictOnnxSession(path.join(out, bundleFiles.float32), study, session.id)
    } finally {
      study.close()
    }
    expect(app.windows).toBeGreaterThanOrEqual(9)
    if (pythonMissing) return
    const printed = execFileSync(
      python,
      [path.join(out, bundleFiles.example), path.join(out, bundleFiles.float32), e4],
      {
        encoding: 'utf8'
      }
    )
    const lines = printed
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
    expect(lines.map(([end]) => Math.round(Number(end) * 1000))).toEqual(
      app.predictions.map((p) => p.windowEndMs)
    )
    expect(
      maxDifference(
        lines.map(([, p]) => [Number(p)]),
        app.predictions.map((p) => [p.probabilities[p.probabilities.length - 1]])
      )
    ).toBeLessThan(2e-6)
  })

  test('an --out equal to --model is refused and nothing is written', async () => {
    const { directory: modelDir, model } = await savedModel(planted.study, { kind: 'native-rate' }, 6)
    model.dispose()
    const { values, positionals } = parseCommandArgs(modelExportEdgeCommand, [
      '--model',
      modelDir,
      '--out',
      modelDir
    ])
    await expect(
      modelExportEdgeCommand.run({ values, positionals, json: true, progress: () => undefined })
    ).rejects.toThrow(/--out must differ from --model/)
    expect(existsSync(path.join(modelDir, bundleFiles.card))).toBe(false)
  })
})

test('emoheal model export-edge refuses --dtype (the bundle holds every dtype) before it writes anything', async () => {
  const out = path.join(tmpdir(), `emoheal-edge-dtype-${process.pid}`)
  const run = modelExportEdgeCommand.run({
    values: { model: ['unused-model-dir'], out, dtype: 'float16' },
    positionals: [],
    json: true,
    progress: () => undefined
  } as unknown as CliInput)
  await expect(run).rejects.toThrow(/model export-onnx --dtype/)
  expect(existsSync(out)).toBe(false)
})
