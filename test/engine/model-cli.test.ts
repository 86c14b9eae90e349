import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { modelExportTorchCommand, modelImportTorchCommand } from '../../src-main/cli/commands/model'
import { predictCommand } from '../../src-main/cli/commands/predict'
import type { CliCommand, CliInput } from '../../src-main/cli/command'
import { parseCommandArgs } from '../../src-main/cli/command'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { buildModel, parseModelConfig, type PaperModelConfig } from '../../src-main/engine/model'
import { ModelStore } from '../../src-main/store/model-store'
import { numbers } from './layers-reference'
import { createPlantedStudy } from './planted-study'
import { writePaperSafetensors } from './paper-safetensors'

let directory: string
let weightsFile: string
let modelDir: string
const channels = ['hr', 'eda', 'temp', 'bvp', 'acc_mag']

beforeAll(async () => {
  await useBackend('wasm')
  directory = mkdtempSync(path.join(tmpdir(), 'emoheal-model-cli-'))
  weightsFile = path.join(directory, 'weights.safetensors')
  writePaperSafetensors(weightsFile, 8)
  modelDir = path.join(directory, 'model')
})
afterAll(() => rmSync(directory, { recursive: true, force: true }))

async function run(command: CliCommand, argv: string[]): Promise<Record<string, unknown>> {
  const { values, positionals } = parseCommandArgs(command, [...argv, '--json', '--backend', 'wasm'])
  const input: CliInput = { values, positionals, json: true, progress: () => undefined }
  return (await command.run(input)) as Record<string, unknown>
}

function windows(count: number): number[][][] {
  const flat = numbers(count * 20 * 5, 12, 3)
  return Array.from({ length: count }, (_, n) =>
    Array.from({ length: 20 }, (__, t) => flat.slice((n * 20 + t) * 5, (n * 20 + t + 1) * 5))
  )
}

function writeInput(name: string, content: unknown): string {
  const file = path.join(directory, name)
  writeFileSync(file, JSON.stringify(content))
  return file
}

describe('emoheal model import-torch / export-torch / predict', () => {
  test('import-torch reports the parameters and tensors read', async () => {
    const result = await run(modelImportTorchCommand, [weightsFile, '--preset', 'paper', '--out', modelDir])
    expect(result).toMatchObject({ ok: true, preset: 'paper', parameterCount: 213_811, tensorsRead: 197 })
    expect((result.backend as { name: string }).name).toBe('wasm')
  })

  test('predict gives one probability pair per window, equal to the model run directly', async () => {
    const input = { channels, windows: windows(3) }
    const result = await run(predictCommand, [
      '--model',
      modelDir,
      '--input',
      writeInput('windows.json', input)
    ])
    const probabilities = result.probabilities as number[][]
    expect(probabilities).toHaveLength(3)
    const config = parseModelConfig({ kind: 'paper' }) as PaperModelConfig
    const model = buildModel(config, { seed: 8 })
    const direct = (await (model.predict(tf.tensor3d(input.windows)) as tf.Tensor).array()) as number[][]
    probabilities.forEach((row, i) => row.forEach((p, j) => expect(p).toBeCloseTo(direct[i][j], 6)))
    expect(result.labels).toEqual(['low', 'high'])
    model.dispose()
  })

  test('export-torch writes the published names', async () => {
    const out = path.join(directory, 'exported.safetensors')
    const result = await run(modelExportTorchCommand, ['--model', modelDir, '--out', out])
    expect(result).toMatchObject({ ok: true, parameterCount: 213_811, tensorsWritten: 197 })
    expect(existsSync(out)).toBe(true)
  })

  const bad: [string, unknown, RegExp][] = [
    [
      'a wrong channel list',
      { channels: ['eda', 'hr', 'temp', 'bvp', 'acc_mag'], windows: windows(1) },
      /channels must be \["hr","eda","temp","bvp","acc_mag"\]/
    ],
    [
      'too few rows',
      { channels, windows: [windows(1)[0].slice(0, 19)] },
      /windows\[0\] must hold 20 rows, got 19/
    ],
    [
      'a ragged row',
      { channels, windows: [windows(1)[0].map((row, t) => (t === 7 ? row.slice(0, 4) : row))] },
      /windows\[0\]\[7\] must hold 5 values/
    ],
    [
      'a value that is not a number',
      { channels, windows: [windows(1)[0].map((row, t) => (t === 2 ? [1, 2, 'x', 4, 5] : row))] },
      /windows\[0\]\[2\]\[2\] is not a finite number/
    ],
    ['no windows', { channels, windows: [] }, /windows must be a non-empty array/]
  ]
  for (const [what, content, message] of bad) {
    test(`predict refuses ${what} with an error naming it`, async () => {
      const file = writeInput('bad.json', content)
      await expect(run(predictCommand, ['--model', modelDir, '--input', file])).rejects.toThrow(message)
    })
  }

  test('a failed import writes nothing', async () => {
    const notSafetensors = path.join(directory, 'model.pt')
    writeFileSync(notSafetensors, Buffer.from('PK\u0003\u0004 zip archive'))
    const out = path.join(directory, 'never')
    await expect(run(modelImportTorchCommand, [notSafetensors, '--out', out])).rejects.toThrow(
      /model.pt: not a readable zip archive/
    )
    expect(existsSync(out)).toBe(false)
  })

  test('predict --session registers the model directory once, and stores the predictions under its id', async () => {
    const planted = createPlantedStudy({ participants: ['1', '2'], windowsPerParticipant: 4 })
    try {
      const session = planted.study.listSessions()[0]
      const args = ['--model', modelDir, '--session', String(session.id), '--study', planted.path]
      const first = await run(predictCommand, args)
      const again = await run(predictCommand, args)
      const store = new ModelStore(planted.study.db)
      const models = store.listModels()
      // The imported model's manifest says what it predicts: the published external arousal, 5-s windows.
      expect(models).toHaveLength(1)
      expect(models[0]).toMatchObject({
        directory: path.resolve(modelDir),
        preset: 'paper',
        target: 'arousal',
        metrics: { windows: { target: 'arousal', windowMs: 5000, labelSource: 'external', threshold: 2 } }
      })
      expect(first).toMatchObject({
        ok: true,
        modelId: models[0].id,
        sessionId: session.id,
        target: 'arousal'
      })
      expect(again.modelId).toBe(models[0].id)
      expect(first.windows).toBeGreaterThan(0)
      expect(store.listPredictions(session.id, models[0].id)).toHaveLength(first.windows as number)
    } finally {
      planted.close()
    }
  })
})
