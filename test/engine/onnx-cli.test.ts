import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  truncateSync,
  cpSync,
  statSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CliCommand, CliInput } from '../../src-main/cli/command'
import { parseCommandArgs } from '../../src-main/cli/command'
import { modelExportOnnxCommand } from '../../src-main/cli/commands/model-onnx'
import { predictCommand } from '../../src-main/cli/commands/predict'
import { AppContext } from '../../src-main/app-context'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { dispatch } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { createServices } from '../../src-main/services/app-services'
import { ModelStore } from '../../src-main/store/model-store'
import { TensorOps } from '../../src-main/engine/ops/tensor-ops'
import { OnnxOps } from '../../src-main/engine/onnx/onnx-ops'
import { backendsPresent } from './backends-present'
import { createPlantedStudy, type PlantedStudy } from './planted-study'
import { loadOrt, maxDifference, predictPrepared, savedModel, studyWindows } from './onnx-support'

const { ort, reason } = await loadOrt()
if (!ort) console.log(`[onnx cli] ONNX Runtime checks skipped: ${reason}`)
const { names } = await backendsPresent({ suite: 'onnx cli', includeCpu: true })

async function run(command: CliCommand, argv: string[]): Promise<Record<string, unknown>> {
  const { values, positionals } = parseCommandArgs(command, [...argv, '--json'])
  const input: CliInput = { values, positionals, json: true, progress: () => undefined }
  return (await command.run(input)) as Record<string, unknown>
}

test('the ONNX executor writes every TensorOps operation itself, none through the TensorFlow op names', () => {
  // Private helpers of TensorOps that build TensorFlow attributes; they are only reached through emit.
  const helpers = new Set(['constructor', 'samePadding', 'convolutionAttributes'])
  const operations = Object.getOwnPropertyNames(TensorOps.prototype).filter((name) => !helpers.has(name))
  const own = new Set(Object.getOwnPropertyNames(OnnxOps.prototype))
  expect(operations.filter((name) => !own.has(name))).toEqual([])
  expect(() => (new OnnxOps() as unknown as { emit(op: string): void }).emit('Conv2D')).toThrow(
    /no ONNX form/
  )
})

describe('emoheal model export-onnx', () => {
  let planted: PlantedStudy
  let directory: string
  let modelDir: string
  beforeAll(async () => {
    await useBackend(names.includes('tensorflow') ? 'tensorflow' : (names[0] ?? 'cpu'))
    planted = createPlantedStudy({ participants: ['1', '2'], windowsPerParticipant: 3, seed: 3 })
    const saved = await savedModel(planted.study, { kind: 'native-rate' }, 5)
    saved.model.dispose()
    modelDir = saved.directory
    directory = mkdtempSync(path.join(tmpdir(), 'emoheal-onnx-cli-'))
  })
  afterAll(() => {
    planted?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  test('writes the file and reports its inputs', async () => {
    const out = path.join(directory, 'model.onnx')
    const result = await run(modelExportOnnxCommand, ['--model', modelDir, '--out', out, '--dtype', 'uint8'])
    expect(result).toMatchObject({ ok: true, dtype: 'uint8', preset: 'native-rate', members: 1 })
    expect(statSync(out).size).toBe(result.bytes)
    expect((result.streams as { name: string }[]).map((s) => s.name)).toEqual(['bvp', 'eda', 'temp', 'acc'])
    expect(modelExportOnnxCommand.format!(result)).toContain('acc [batch, 160, 3] at 32 Hz')
    if (ort) {
      const session = await ort.InferenceSession.create(out, { logSeverityLevel: 3 })
      expect(session.inputNames).toEqual(['bvp', 'eda', 'temp', 'acc'])
    }
    expect(readdirSync(directory).filter((name) => name.startsWith('.'))).toEqual([])
  })

  test.skipIf(!ort)(
    'predict --model FILE.onnx takes raw windows as JSON and a recorded session',
    async () => {
      const out = path.join(directory, 'predict.onnx')
      await run(modelExportOnnxCommand, ['--model', modelDir, '--out', out])
      const { loadModel } = await import('../../src-main/engine/registry/model-files')
      const { model, manifest } = await loadModel(modelDir)
      const { set, prepared, raw, streams } = studyWindows(planted.study, manifest)
      const expected = predictPrepared(model, prepared, set)
      model.dispose()
      const windows = raw.map((window) =>
        Object.fromEntries(
          streams.map((stream, s) => [
            stream.name,
            Array.from({ length: stream.samples }, (_, k) =>
              Array.from(window[s].subarray(k * stream.channels, (k + 1) * stream.channels))
            )
          ])
        )
      )
      const input = path.join(directory, 'windows.json')
      writeFileSync(input, JSON.stringify({ windows }))
      const result = await run(predictCommand, ['--model', out, '--input', input])
      expect(result).toMatchObject({ ok: true, runtime: 'onnxruntime', windows: raw.length })
      expect(maxDifference(result.probabilities as number[][], expected)).toBeLessThan(1e-5)
      expect(predictCommand.format!(result).split('\n')).toHaveLength(raw.length)

      const session = await run(predictCommand, [
        '--model',
        out,
        '--session',
        String(set.windows[0].sessionId),
        '--study',
        planted.path
      ])
      const predictions = session.predictions as { windowEndMs: number; probabilities: number[] }[]
      const first = set.windows.filter((window) => window.sessionId === set.windows[0].sessionId)
      expect(predictions.map((p) => p.windowEndMs)).toEqual(first.map((window) => window.endMs))
      expect(
        maxDifference(
          predictions.map((p) => p.probabilities),
          expected.slice(0, first.length)
        )
      ).toBeLessThan(1e-5)

      writeFileSync(input, JSON.stringify({ windows: [{ ...windows[0], eda: windows[0].eda.slice(1) }] }))
      await expect(run(predictCommand, ['--model', out, '--input', input])).rejects.toThrow(
        /windows\[0\]\.eda must hold 20 samples \(4 Hz over the window\), got 19/
      )
    }
  )

  const damages: [string, (dir: string) => void, RegExp][] = [
    [
      'a truncated weights.bin',
      (dir) => truncateSync(path.join(dir, 'weights.bin'), 1000),
      /weights\.bin: holds 1000 bytes/
    ],
    [
      'a model.json that is not JSON',
      (dir) => writeFileSync(path.join(dir, 'model.json'), '{"format": "layers-'),
      /model\.json: not JSON/
    ],
    [
      'a manifest with a bad field',
      (dir) => writeFileSync(path.join(dir, 'manifest.json'), '{"format": "emoheal-model"}'),
      /manifest\.json: field/
    ],
    ['no manifest', (dir) => rmSync(path.join(dir, 'manifest.json')), /manifest\.json is missing/],
    [
      'a topology that names an unknown layer',
      (dir) => {
        const file = path.join(dir, 'model.json')
        writeFileSync(file, readFileSync(file, 'utf8').replace('EmohealPytorchGru', 'NoSuchLayer'))
      },
      /model\.json: not a model tfjs can build/
    ]
  ]
  test.each(damages)(
    '%s: a one-line error naming the file, and no file written',
    async (_, damage, message) => {
      const broken = path.join(directory, `broken-${_.replace(/\W+/g, '-')}`)
      cpSync(modelDir, broken, { recursive: true })
      damage(broken)
      const out = path.join(directory, 'out', 'broken.onnx')
      const error = await run(modelExportOnnxCommand, ['--model', broken, '--out', out]).then(
        () => null,
        (e: Error) => e
      )
      expect(error).not.toBeNull()
      expect(error!.message).toMatch(message)
      expect(error!.message).not.toContain('\n')
      expect(existsSync(path.dirname(out)) ? readdirSync(path.dirname(out)) : []).toEqual([])
    }
  )

  test('members configured differently are refused as an ensemble', async () => {
    const other = await savedModel(planted.study, { kind: 'paper' }, 6)
    other.model.dispose()
    const out = path.join(directory, 'mixed.onnx')
    await expect(
      run(modelExportOnnxCommand, ['--model', modelDir, '--model', other.directory, '--out', out])
    ).rejects.toThrow(/ensemble members differ/)
    expect(existsSync(out)).toBe(false)
  })

  test('the registry exports a model as ONNX over IPC (the Export ONNX button), arguments validated', async () => {
    const context = new AppContext({ defaultStudyPath: '/nonexistent', transport: 'serve', version: '7.7.7' })
    const handlers = createHandlers(createServices(context))
    context.openStudy(planted.path)
    try {
      const record = new ModelStore(planted.study.db).registerModel({
        name: 'native test',
        directory: modelDir,
        preset: 'native',
        target: 'arousal',
        config: {},
        metrics: {}
      })
      const file = path.join(directory, 'ipc.onnx')
      const outcome = await dispatch(handlers, context, 'models.exportOnnx', {
        id: record.id,
        file,
        dtype: 'float16'
      })
      expect(outcome).toMatchObject({ ok: true, value: { file, dtype: 'float16', preset: 'native-rate' } })
      expect(statSync(file).size).toBe((outcome as { value: { bytes: number } }).value.bytes)
      expect(readFileSync(file).toString('latin1')).toContain('7.7.7')
      const refused = await dispatch(handlers, context, 'models.exportOnnx', {
        id: record.id,
        file,
        dtype: 'int4'
      })
      expect(refused).toMatchObject({ ok: false, error: { name: 'ValidationError' } })
    } finally {
      context.close()
    }
  })

  test('predict refuses an ONNX file that is truncated, foreign or not ONNX, naming the file', async () => {
    const out = path.join(directory, 'whole.onnx')
    await run(modelExportOnnxCommand, ['--model', modelDir, '--out', out])
    const input = path.join(directory, 'none.json')
    writeFileSync(input, JSON.stringify({ windows: [] }))
    const bytes = readFileSync(out)
    const cases: [string, Uint8Array, RegExp][] = [
      [
        'truncated.onnx',
        bytes.subarray(0, Math.floor(bytes.length / 2)),
        /truncated\.onnx: not an ONNX model/
      ],
      ['text.onnx', new TextEncoder().encode('not a model at all'), /text\.onnx: /],
      ['empty.onnx', new Uint8Array(0), /empty\.onnx: has no emoheal\.inputs metadata/]
    ]
    for (const [name, content, message] of cases) {
      const file = path.join(directory, name)
      writeFileSync(file, content)
      const error = await run(predictCommand, ['--model', file, '--input', input]).then(
        () => null,
        (e: Error) => e
      )
      expect(error?.message).toMatch(message)
      expect(error?.message).not.toContain('\n')
    }
  })

  test('a bad --dtype is refused', async () => {
    await expect(
      run(modelExportOnnxCommand, [
        '--model',
        modelDir,
        '--out',
        path.join(directory, 'x.onnx'),
        '--dtype',
        'int4'
      ])
    ).rejects.toThrow(/--dtype must be one of float32, float16, uint8/)
  })
})
