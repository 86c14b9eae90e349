import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { bundleEntry } from '../support/bundled-cli'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { runEngineTask } from '../../src-main/engine/tasks/engine-tasks'
import { predictSession } from '../../src-main/engine/inference/session-inference'
import { dispatch } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { createServices } from '../../src-main/services/app-services'
import { ModelStore } from '../../src-main/store/model-store'
import { torchArchive, float32Bytes } from './hostile-files'
import { writePaperSafetensors } from './paper-safetensors'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

const repoRoot = resolve(__dirname, '..', '..')
// Bundled as the app's build bundles them, under node_modules so that their externals resolve, and laid out
// as out/main is, so that the app's own lookup (beside the training worker) finds the engine worker.
const appRoot = join(repoRoot, 'node_modules', '.cache', 'emoheal-test', 'engine-app')
const workerDir = join(appRoot, 'out', 'main')
const workerPath = join(workerDir, 'engine-worker.js')
const MiB = 1024 * 1024

let planted: PlantedStudy
let weights: string
let hostile: string

beforeAll(async () => {
  await useBackend('wasm')
  await bundleEntry('src-main/engine/tasks/engine-worker.ts', workerPath)
  await bundleEntry('src-main/engine/runs/train-worker.ts', join(workerDir, 'train-worker.js'))
  planted = createPlantedStudy({ participants: ['1', '2'], windowsPerParticipant: 6 })
  weights = join(planted.dir, 'authors.safetensors')
  writePaperSafetensors(weights, 7)
  // A stride-0 view of 2^32 elements over one float: read on the main thread, it would allocate 16 GiB.
  hostile = join(planted.dir, 'hostile.pt')
  writeFileSync(
    hostile,
    torchArchive(
      [{ name: 'frontends.0.weight', storage: { key: '0', numel: 1 }, size: [65536, 65536], stride: [0, 0] }],
      [{ name: 'archive/data/0', data: float32Bytes([1]) }]
    )
  )
})
afterAll(() => planted.close())

const studyOf = () => ({ studyPath: planted.path, backend: 'wasm' as const })

describe('engine tasks in a worker thread', () => {
  test('imports a state_dict and registers it from the worker', async () => {
    const result = await runEngineTask(
      { task: 'importTorch', ...studyOf(), file: weights, preset: 'paper', name: 'authors' },
      workerPath
    )
    expect(result.parameterCount).toBe(213_811)
    expect(result.tensorsRead).toBeGreaterThan(0)
    expect(new ModelStore(planted.study.db).getModel(result.model.id)).toMatchObject({
      name: 'authors',
      preset: 'paper'
    })
  })

  test('a hostile file is refused in the worker as a FileFormatError naming it, and registers nothing', async () => {
    const before = new ModelStore(planted.study.db).listModels().length
    const rss = process.memoryUsage().rss
    const error = await runEngineTask(
      { task: 'importTorch', ...studyOf(), file: hostile, preset: 'paper' },
      workerPath
    ).then(
      () => new Error('it did not throw'),
      (caught: Error) => caught
    )
    expect(error.name).toBe('FileFormatError')
    expect(error.message).toMatch(/hostile\.pt: tensor frontends\.0\.weight: .*storage 0/)
    expect(error.message).not.toContain('\n')
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * MiB)
    expect(new ModelStore(planted.study.db).listModels()).toHaveLength(before)
  })

  test('predicts a session in the worker as the main thread would, storing nothing itself', async () => {
    const store = new ModelStore(planted.study.db)
    const model = store.listModels()[0]
    const session = planted.study.listSessions()[0]
    const inWorker = await runEngineTask(
      { task: 'predictSession', ...studyOf(), directory: model.directory, sessionId: session.id },
      workerPath
    )
    const inline = await predictSession(planted.study, model.directory, session.id, null)
    expect(inWorker.windows).toBeGreaterThan(0)
    expect(inWorker.predictions).toEqual(inline.predictions)
    expect(store.listPredictions(session.id, model.id)).toHaveLength(0)
  })

  test('a worker that dies is an error, not a hang', async () => {
    const dying = join(workerDir, 'dying-worker.js')
    writeFileSync(dying, 'process.exit(3)\n')
    try {
      await expect(
        runEngineTask({ task: 'predictSession', ...studyOf(), directory: '/nowhere', sessionId: 1 }, dying)
      ).rejects.toThrow(/engine worker stopped before it finished predictSession \(exit code 3\)/)
    } finally {
      rmSync(dying, { force: true })
    }
  })
})

describe('the app handlers run import and prediction in the worker', () => {
  const context = new AppContext({ defaultStudyPath: '/nonexistent', transport: 'serve', version: 'test' })
  const handlers = createHandlers(createServices(context))
  const cwd = process.cwd()
  const backend = process.env.EMOHEAL_BACKEND

  beforeAll(() => {
    mkdirSync(workerDir, { recursive: true })
    // The app finds its workers beside its bundle or under ./out/main; this test's bundle is the latter.
    process.chdir(appRoot)
    process.env.EMOHEAL_BACKEND = 'wasm'
    context.openStudy(planted.path)
  })
  afterAll(() => {
    process.chdir(cwd)
    if (backend === undefined) delete process.env.EMOHEAL_BACKEND
    else process.env.EMOHEAL_BACKEND = backend
    context.close()
  })

  test('models.importTorch, then predict.session with the imported model', async () => {
    const imported = await dispatch(handlers, context, 'models.importTorch', {
      file: weights,
      name: 'via ipc'
    })
    expect(imported).toMatchObject({ ok: true, value: { name: 'via ipc', parameterCount: 213_811 } })
    const modelId = imported.ok ? (imported.value as { id: number }).id : 0
    const session = planted.study.listSessions()[1]
    const predicted = await dispatch(handlers, context, 'predict.session', { sessionId: session.id, modelId })
    expect(predicted).toMatchObject({ ok: true, value: { modelId, sessionId: session.id } })
    const windows = predicted.ok ? (predicted.value as { windows: number }).windows : 0
    expect(windows).toBeGreaterThan(0)
    // Stored by the main process, in the study the call began with.
    expect(new ModelStore(planted.study.db).listPredictions(session.id, modelId)).toHaveLength(windows)
  })

  test('models.importTorch of a hostile file crosses IPC as a FileFormatError naming the file', async () => {
    const outcome = await dispatch(handlers, context, 'models.importTorch', { file: hostile })
    expect(outcome).toMatchObject({ ok: false, error: { name: 'FileFormatError' } })
    if (!outcome.ok) expect(outcome.error.message).toContain(`${hostile}: tensor frontends.0.weight`)
  })

  test('predict.session of a session that does not exist fails before any worker starts', async () => {
    const outcome = await dispatch(handlers, context, 'predict.session', { sessionId: 9999 })
    expect(outcome).toMatchObject({ ok: false, error: { name: 'NotFoundError' } })
  })
})
