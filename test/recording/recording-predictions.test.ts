import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { LiveService } from '../../src-main/engine/live/live-service'
import { buildModel, parseModelConfig } from '../../src-main/engine/model'
import { loadModel, saveModel } from '../../src-main/engine/registry/model-files'
import { windowOptionsOf } from '../../src-main/engine/inference/session-inference'
import { inputTensors } from '../../src-main/engine/training/tensors'
import { inputShapesOf, sessionWindowsAt } from '../../src-main/engine/windows/extract'
import { RecordingService } from '../../src-main/recording/recording-service'
import { ModelStore } from '../../src-main/store/model-store'
import { tempDir } from '../e2e/harness'
import { LinesEmulator } from '../support/lines-emulator'
import { PtyPair, ptyUnavailableReason } from '../support/pty-pair'
import { ManualClock } from '../live/manual-clock'

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0)
const dir = tempDir('emoheal-recording-predictions-')
const modelDirectory = join(dir, 'paper-model')

beforeAll(async () => {
  await tf.setBackend('wasm')
  const config = parseModelConfig({ kind: 'paper' })
  const model = buildModel(config, { seed: 4 })
  try {
    await saveModel(model, modelDirectory, { config, labels: ['low', 'high'], normalization: null })
  } finally {
    model.dispose()
  }
})

const contexts: AppContext[] = []
afterAll(() => contexts.forEach((context) => context.close()))

/** A new study with one participant and the paper model registered and active. */
function studyWithActiveModel(name: string) {
  const path = join(dir, `${name}.emoheal-study`)
  const context = new AppContext({ defaultStudyPath: path, transport: 'cli', version: 'test' })
  contexts.push(context)
  context.openStudy(path, true, name)
  const participantId = context.study().createParticipant({ code: 'P02', notes: '' }).id
  const models = new ModelStore(context.study().db)
  const model = models.registerModel({
    name: 'paper',
    directory: modelDirectory,
    preset: 'paper',
    target: 'arousal',
    config: {},
    metrics: {}
  })
  models.activateModel(model.id)
  return { context, participantId, models, model }
}

describe('live predictions while recording', () => {
  it('stores the active model’s prediction of every second with the session, as the model track reads them', async () => {
    const { context, participantId, models, model } = studyWithActiveModel('predictions')
    const clock = new ManualClock(t0)
    const live = new LiveService({ emit: (name, payload) => context.emit(name, payload), clock })
    const service = new RecordingService({ context, live, clock })
    const started = await service.start({
      participantId,
      devices: [{ protocol: 'simulator', path: 'simulator', seed: 2 }]
    })
    expect(started.model).toMatchObject({ id: model.id, windowMs: 5000 })
    clock.advance(12_000)
    const status = service.status()
    await service.stop()
    const sessionId = started.sessionId!
    const stored = models.listPredictions(sessionId, model.id)
    // Seconds 1-4 warm up (the window reaches back 5 s); from then on every second is predicted and stored.
    expect(stored.length).toBeGreaterThanOrEqual(6)
    expect(stored.length).toBe(status.predictionsStored)
    for (const row of stored) {
      expect(row.windowEndMs % 1000).toBe(0)
      expect(row.probabilities).toHaveLength(2)
      expect(row.probabilities[0] + row.probabilities[1]).toBeCloseTo(1, 5)
    }
    // What was predicted live is what the stored samples give: the same windows cut from the study afterwards.
    // Live, the last batch (up to 50 ms) may still be on its way when the second ticks, so the two differ a little.
    const { model: loaded, manifest } = await loadModel(modelDirectory)
    try {
      const options = windowOptionsOf(manifest)
      const windows = sessionWindowsAt(
        context.study(),
        sessionId,
        stored.map((row) => row.windowEndMs),
        options
      )
      const usable = windows.flatMap((window) =>
        typeof window.inputs === 'string' ? [] : [{ endMs: window.endMs, inputs: window.inputs }]
      )
      expect(usable.length).toBe(stored.length)
      const offline = tf.tidy(() =>
        (
          loaded.predict(
            inputTensors(
              usable.map((window) => window.inputs),
              inputShapesOf(options).inputs
            )
          ) as tf.Tensor2D
        ).arraySync()
      )
      usable.forEach((window, i) => {
        const row = stored.find((candidate) => candidate.windowEndMs === window.endMs)!
        expect(row.probabilities[1]).toBeCloseTo(offline[i][1], 2)
      })
    } finally {
      loaded.dispose()
    }
  })

  it.skipIf(ptyUnavailableReason() !== null)(
    'records without predicting, and says why, when the active model reads streams the devices do not deliver',
    async () => {
      const { context, participantId, model } = studyWithActiveModel('mismatch')
      const pair = new PtyPair()
      await pair.start()
      const board = new LinesEmulator({ rateHz: 20, channels: ['gsr'] })
      await board.attach(pair.devicePath)
      board.startStreaming()
      try {
        const live = new LiveService({ emit: (name, payload) => context.emit(name, payload) })
        const service = new RecordingService({ context, live })
        const devices = [
          {
            protocol: 'lines' as const,
            path: pair.appPath,
            baudRate: 115200,
            rateHz: 20,
            stream: 'eda',
            unit: 'uS'
          }
        ]
        const started = await service.start({ participantId, devices })
        expect(started.model).toBeNull()
        expect(started.modelNote).toMatch(
          /active model paper .* does not predict this recording: .*hr stream/
        )
        await new Promise((resolve) => setTimeout(resolve, 600))
        const stopped = await service.stop()
        expect(stopped.devices[0].streams[0].stored).toBeGreaterThan(0)
        // Naming the model is asking for it: then the mismatch is an error, and nothing is recorded.
        await expect(service.start({ participantId, devices, modelId: model.id })).rejects.toThrow(
          /hr stream/
        )
        expect(context.study().listSessions()).toHaveLength(1)
      } finally {
        board.stopStreaming()
        await board.detach()
        await pair.dispose()
      }
    }
  )
})
