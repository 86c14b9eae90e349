import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parseCommandArgs, type CliInput } from '../../src-main/cli/command'
import { modelImportTorchCommand } from '../../src-main/cli/commands/model'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { loadModel } from '../../src-main/engine/registry/model-files'
import { ModelStore } from '../../src-main/store/model-store'
import { StudyStore } from '../../src-main/store/study-store'
import { writePaperSafetensors } from './paper-safetensors'

let directory: string
let weightsFile: string
let studyPath: string

beforeAll(async () => {
  await useBackend('wasm')
  directory = mkdtempSync(path.join(tmpdir(), 'emoheal-import-registry-'))
  weightsFile = path.join(directory, 'authors.safetensors')
  writePaperSafetensors(weightsFile, 3)
  studyPath = path.join(directory, 'lab.emoheal-study')
  new StudyStore(studyPath, { create: true, name: 'Import' }).close()
})
afterAll(() => rmSync(directory, { recursive: true, force: true }))

async function importTorch(argv: string[]): Promise<Record<string, unknown>> {
  const { values, positionals } = parseCommandArgs(modelImportTorchCommand, [
    ...argv,
    '--json',
    '--backend',
    'wasm'
  ])
  const input: CliInput = { values, positionals, json: true, progress: () => undefined }
  return (await modelImportTorchCommand.run(input)) as Record<string, unknown>
}

function registered() {
  const study = new StudyStore(studyPath)
  try {
    return new ModelStore(study.db).listModels()
  } finally {
    study.close()
  }
}

describe('emoheal model import-torch --study', () => {
  test('registers the imported model in the study, its directory beside the study', async () => {
    const result = await importTorch([
      weightsFile,
      '--preset',
      'paper',
      '--study',
      studyPath,
      '--name',
      'authors'
    ])
    const models = registered()
    expect(models).toHaveLength(1)
    const [model] = models
    expect(result).toMatchObject({
      ok: true,
      modelId: model.id,
      modelDir: model.directory,
      parameterCount: 213_811
    })
    expect(model).toMatchObject({ name: 'authors', preset: 'paper', target: 'arousal', active: false })
    expect(path.dirname(model.directory)).toBe(`${studyPath}.models`)
    // The registered directory holds the imported weights: the model loads with the published size.
    const loaded = await loadModel(model.directory)
    expect(loaded.model.countParams()).toBe(213_811)
    loaded.model.dispose()
  })

  test('--out still chooses the directory, and the model is registered there', async () => {
    const out = path.join(directory, 'chosen')
    const result = await importTorch([weightsFile, '--study', studyPath, '--out', out])
    expect(result.modelDir).toBe(out)
    expect(registered().map((model) => model.directory)).toContain(out)
  })

  test('a file that is not safetensors registers nothing', async () => {
    const bad = path.join(directory, 'notes.bin')
    writeFileSync(bad, 'this is not a safetensors file')
    const before = registered().length
    await expect(importTorch([bad, '--study', studyPath])).rejects.toThrow(/safetensors/)
    expect(registered()).toHaveLength(before)
  })

  test('without --study, --out is required', async () => {
    await expect(importTorch([weightsFile])).rejects.toThrow(/--out is required/)
  })
})
