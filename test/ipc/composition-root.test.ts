import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { dispatch } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { createServices } from '../../src-main/services/app-services'
import { tempDir } from '../e2e/harness'

const dir = tempDir('emoheal-root-')

function app(backend?: string) {
  const context = new AppContext({ defaultStudyPath: '/nonexistent', transport: 'serve', version: 'test' })
  const services = createServices(
    context,
    backend === undefined ? {} : { backend: { preference: backend, source: '--backend' } }
  )
  const handlers = createHandlers(services)
  return {
    context,
    services,
    call: (name: string, args: unknown = {}) => dispatch(handlers, context, name, args)
  }
}

const opened: AppContext[] = []
afterAll(() => opened.forEach((context) => context.close()))

describe('the composition root', () => {
  it('builds the services of each app once, and its handlers use those, not another app’s', async () => {
    const first = app('wasm')
    const second = app('cpu')
    opened.push(first.context, second.context)
    expect(first.services.runs).not.toBe(second.services.runs)
    expect(first.services.live).not.toBe(second.services.live)
    // No backend until one is asked for; then the one this app was given, remembered for its later calls.
    await expect(first.call('app.info')).resolves.toMatchObject({ ok: true, value: { backend: null } })
    const chosen = await first.call('app.backends')
    expect(chosen).toMatchObject({ ok: true, value: { chosen: { name: 'wasm' } } })
    await expect(first.call('app.info')).resolves.toMatchObject({
      ok: true,
      value: { backend: { name: 'wasm' } }
    })
    expect(await first.services.engine.backends()).toBe(await first.services.engine.backends())
    await expect(second.call('app.info')).resolves.toMatchObject({ ok: true, value: { backend: null } })
  })

  it('names where a backend preference that is no backend came from, and tries again on the next call', async () => {
    const wrong = app('gpu')
    opened.push(wrong.context)
    for (let attempt = 0; attempt < 2; attempt++)
      await expect(wrong.call('app.backends')).resolves.toMatchObject({
        ok: false,
        error: {
          name: 'ValidationError',
          field: 'backend',
          message: '--backend must be one of auto, tensorflow, wasm, cpu, got "gpu"'
        }
      })
  })

  it('stop() ends what the services run: a recording is stopped and its session marked complete', async () => {
    const { context, services, call } = app('wasm')
    opened.push(context)
    const study = context.openStudy(join(dir, 'one.emoheal-study'), true, 'one')
    const participantId = study.createParticipant({ code: 'P01', notes: '' }).id
    const started = await call('record.start', {
      participantId,
      devices: [{ protocol: 'simulator', path: 'simulator', seed: 1 }],
      modelId: null
    })
    expect(started).toMatchObject({ ok: true, value: { recording: true } })
    const sessionId = started.ok ? (started.value as { sessionId: number }).sessionId : 0
    // While it records, the study cannot be swapped under it.
    expect(() => context.openStudy(join(dir, 'two.emoheal-study'), true)).toThrow(/a recording is running/)
    await services.stop()
    await expect(call('record.status')).resolves.toMatchObject({ ok: true, value: { recording: false } })
    expect(study.db.prepare('SELECT recording_state FROM session WHERE id = ?').get(sessionId)).toEqual({
      recording_state: 'complete'
    })
    await expect(call('live.status')).resolves.toMatchObject({ ok: true, value: { running: false } })
    expect(services.runs.running).toEqual([])
  })
})
