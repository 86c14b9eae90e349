import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { SimulatedWristband } from '../../src-main/devices/simulator'
import { LiveService } from '../../src-main/engine/live/live-service'
import { buildModel, parseModelConfig } from '../../src-main/engine/model'
import { saveModel } from '../../src-main/engine/registry/model-files'
import type { EventName, Events, LiveStatusView } from '../../src-main/ipc/contract'
import { dispatch } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { createServices } from '../../src-main/services/app-services'
import { ModelStore, type ModelRecord } from '../../src-main/store/model-store'
import { tempDir } from '../e2e/harness'
import { ManualClock } from './manual-clock'

const t0 = Date.UTC(2026, 4, 1, 12, 0, 0)
const dir = tempDir('emoheal-live-service-')
const paperDirectory = join(dir, 'paper-model')

type Captured = { name: EventName; payload: Events[EventName] }

function collector() {
  const events: Captured[] = []
  const of = <N extends EventName>(name: N) =>
    events.filter((event) => event.name === name).map((event) => event.payload as Events[N])
  return {
    events,
    of,
    emit: <N extends EventName>(name: N, payload: Events[N]) => void events.push({ name, payload })
  }
}

beforeAll(async () => {
  await tf.setBackend('wasm')
  const config = parseModelConfig({ kind: 'paper' })
  const model = buildModel(config, { seed: 9 })
  try {
    await saveModel(model, paperDirectory, { config, labels: ['low', 'high'], normalization: null })
  } finally {
    model.dispose()
  }
})

const record = (id: number): ModelRecord => ({
  id,
  name: 'paper test',
  directory: paperDirectory,
  preset: 'paper',
  target: 'arousal',
  config: {},
  metrics: {},
  active: true,
  createdMs: 0
})

describe('live service', () => {
  it('streams decimated samples every 50 ms and a result every second, until stopped', async () => {
    const clock = new ManualClock(t0)
    const { events, of, emit } = collector()
    const service = new LiveService({
      emit,
      clock,
      createSource: (_kind, sourceClock) => new SimulatedWristband({ seed: 3, clock: sourceClock })
    })
    const started = await service.start('simulator', record(4))
    expect(started).toMatchObject({
      running: true,
      source: 'simulator',
      model: {
        id: 4,
        name: 'paper test',
        target: 'arousal',
        windowMs: 5000,
        streams: ['hr', 'eda', 'temp', 'bvp', 'acc'],
        predictor: expect.stringMatching(/^(tensorflow function|onnxruntime|model.predict)$/)
      },
      recording: false
    })
    expect(of('live.state')).toEqual([started])
    await expect(service.start('simulator', record(4))).rejects.toThrow('live inference is already running')

    clock.advance(7000)
    const batches = of('live.samples')
    expect(batches).toHaveLength(140)
    expect(batches.every((batch) => batch.liveId === started.liveId)).toBe(true)
    const total = (name: string) =>
      batches.flatMap((batch) =>
        batch.streams.filter((stream) => stream.name === name).flatMap((stream) => stream.times)
      )
    // BVP 64 Hz is sent at 32 Hz, the rest as they come; acc with its three channels.
    expect(total('bvp')).toHaveLength(7 * 32 + 1)
    expect(total('acc')).toHaveLength(7 * 32 + 1)
    expect(total('eda')).toHaveLength(7 * 4 + 1)
    const accValues = batches.flatMap((batch) =>
      batch.streams.filter((s) => s.name === 'acc').flatMap((s) => s.values)
    )
    expect(accValues).toHaveLength(3 * total('acc').length)

    const ticks = of('live.tick')
    expect(ticks.map((tick) => tick.endMs)).toEqual(Array.from({ length: 7 }, (_, k) => t0 + (k + 1) * 1000))
    expect(ticks.map((tick) => tick.kind)).toEqual([
      'skip',
      'skip',
      'skip',
      'prediction',
      'prediction',
      'prediction',
      'prediction'
    ])
    for (const tick of ticks) {
      expect(tick).toMatchObject({ liveId: started.liveId, modelId: 4, target: 'arousal' })
      if (tick.kind === 'prediction') expect(tick.probabilities[0] + tick.probabilities[1]).toBeCloseTo(1, 5)
    }
    expect(service.status()).toMatchObject({ running: true, predictions: 4, skips: 3, last: ticks[6] })

    const stopped = service.stop()
    expect(stopped).toMatchObject({ running: false, liveId: null, stoppedBecause: null })
    expect(of('live.state').at(-1)).toEqual(stopped)
    const count = events.length
    clock.advance(5000)
    expect(events).toHaveLength(count)
    expect(clock.timerCount).toBe(0)
  })
})

describe('live calls', () => {
  const context = new AppContext({ defaultStudyPath: '/nonexistent', transport: 'serve', version: 'test' })
  const handlers = createHandlers(createServices(context))
  const call = (name: string, args: unknown) => dispatch(handlers, context, name, args)
  let previousBackend: string | undefined

  beforeAll(() => {
    previousBackend = process.env.EMOHEAL_BACKEND
    process.env.EMOHEAL_BACKEND = 'wasm'
  })
  afterAll(async () => {
    await call('live.stop', {})
    context.close()
    if (previousBackend === undefined) delete process.env.EMOHEAL_BACKEND
    else process.env.EMOHEAL_BACKEND = previousBackend
  })

  it('rejects bad arguments, naming the field', async () => {
    for (const [args, field] of [
      [{ source: 'usb' }, 'source'],
      [{ source: 3 }, 'source'],
      [{ modelId: -1 }, 'modelId'],
      [{ modelId: 1.5 }, 'modelId'],
      [{ modelId: '2' }, 'modelId'],
      ['simulator', '(argument)']
    ] as const) {
      const outcome = await call('live.start', args)
      expect(outcome, JSON.stringify(args)).toMatchObject({
        ok: false,
        error: { name: 'ValidationError', field }
      })
    }
    for (const name of ['live.stop', 'live.status'])
      await expect(call(name, [])).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } })
  })

  it('says so when no model is active, and runs the active one with the real simulator and timers', async () => {
    await expect(call('live.start', {})).resolves.toMatchObject({
      ok: false,
      error: { message: 'no study is open: create or open one first' }
    })
    const study = context.openStudy(join(dir, 'calls.emoheal-study'), true, 'calls')
    await expect(call('live.start', { source: 'simulator' })).resolves.toMatchObject({
      ok: false,
      error: {
        name: 'NotFoundError',
        field: 'modelId',
        message: expect.stringMatching(/none is active: activate one/)
      }
    })
    await expect(call('live.start', { modelId: 99 })).resolves.toMatchObject({
      ok: false,
      error: { name: 'NotFoundError', message: 'model 99 does not exist' }
    })
    const store = new ModelStore(study.db)
    const model = store.registerModel({
      name: 'paper',
      directory: paperDirectory,
      preset: 'paper',
      target: 'arousal',
      config: {},
      metrics: {}
    })
    store.activateModel(model.id)

    const { of, emit } = collector()
    const unsubscribe = context.onEvent(emit)
    try {
      const started = await call('live.start', {})
      expect(started).toMatchObject({ ok: true, value: { running: true, model: { id: model.id } } })
      await expect(call('live.start', {})).resolves.toMatchObject({
        ok: false,
        error: { name: 'ConflictError' }
      })
      await new Promise((resolve) => setTimeout(resolve, 1300))
      expect(of('live.samples').length).toBeGreaterThan(10)
      expect(of('live.tick')[0]).toMatchObject({ kind: 'skip', reason: 'warming-up', modelId: model.id })
      const status = (await call('live.status', {})) as { ok: true; value: LiveStatusView }
      expect(status.value).toMatchObject({ running: true, skips: of('live.tick').length })

      // Another study closes the run: its model is not this study's.
      context.openStudy(join(dir, 'other.emoheal-study'), true, 'other')
      expect(of('live.state').at(-1)).toMatchObject({ running: false, stoppedBecause: 'the study changed' })
      const after = of('live.samples').length
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(of('live.samples')).toHaveLength(after)
      await expect(call('live.status', {})).resolves.toMatchObject({ ok: true, value: { running: false } })
    } finally {
      unsubscribe()
    }
  })
})
