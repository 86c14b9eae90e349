import { join } from 'node:path'
import { z } from 'zod'
import { afterAll, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { calls, callNames } from '../../src-main/ipc/contract'
import { dispatch } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { createServices } from '../../src-main/services/app-services'
import { tempDir } from '../e2e/harness'

const context = new AppContext({ defaultStudyPath: '/nonexistent', transport: 'serve', version: 'test' })
const handlers = createHandlers(createServices(context))
afterAll(() => context.close())

/** A value of the wrong kind for a field of this schema. */
function wrongValueFor(schema: z.ZodType): unknown {
  const probe = [Symbol.for('none'), 'not-a-number', 12.5, -3, { nested: true }, [1, 2], true]
  return probe.find((value) => typeof value !== 'symbol' && !schema.safeParse(value).success)
}

describe('IPC contract', () => {
  it('has a handler for every call and no handler without a call', () => {
    expect(Object.keys(handlers).sort()).toEqual([...callNames].sort())
  })

  it.each(callNames)(
    '%s rejects a malformed argument with a ValidationError, never a throw',
    async (name) => {
      const outcome = await dispatch(handlers, context, name, 'not an object')
      expect(outcome).toMatchObject({ ok: false, error: { name: 'ValidationError' } })
    }
  )

  it.each(callNames)('%s names the field of every wrongly typed argument', async (name) => {
    const schema = calls[name].args as unknown as z.ZodObject<Record<string, z.ZodType>>
    for (const [field, fieldSchema] of Object.entries(schema.shape ?? {})) {
      const bad = wrongValueFor(fieldSchema)
      if (bad === undefined) continue
      const outcome = await dispatch(handlers, context, name, { [field]: bad })
      expect(outcome.ok, `${name}.${field}`).toBe(false)
      if (!outcome.ok) {
        expect(outcome.error.name).toBe('ValidationError')
        // The bad field is named, unless a required field that was left out is reported first.
        const missing = Object.keys(schema.shape).filter(
          (other) => other !== field && !schema.shape[other].safeParse(undefined).success
        )
        expect([field, ...missing], `${name}.${field}`).toContain(outcome.error.field)
        expect(outcome.error.message).toContain(outcome.error.field!)
      }
    }
  })

  it('refuses an unknown call by name', async () => {
    await expect(dispatch(handlers, context, 'fs.readFile', { path: '/etc/passwd' })).resolves.toEqual({
      ok: false,
      error: { name: 'ValidationError', message: 'unknown call "fs.readFile"', field: 'name' }
    })
  })

  it('turns service failures into serialized errors', async () => {
    const noStudy = await dispatch(handlers, context, 'participants.list', {})
    expect(noStudy).toMatchObject({
      ok: false,
      error: { message: 'no study is open: create or open one first' }
    })
    const path = join(tempDir('emoheal-ipc-'), 'x.emoheal-study')
    await expect(dispatch(handlers, context, 'study.create', { path, name: 'X' })).resolves.toMatchObject({
      ok: true
    })
    const bad = await dispatch(handlers, context, 'sessions.create', {
      participantId: 1,
      name: 'S',
      startMs: 0,
      timezone: 'Mars/Olympus'
    })
    expect(bad).toMatchObject({ ok: false, error: { name: 'ValidationError', field: 'timezone' } })
    const missing = await dispatch(handlers, context, 'sessions.create', {
      participantId: 1,
      name: 'S',
      startMs: 0,
      timezone: 'UTC'
    })
    expect(missing).toMatchObject({
      ok: false,
      error: { name: 'NotFoundError', message: 'participant 1 does not exist' }
    })
  })
})
