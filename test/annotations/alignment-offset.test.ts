import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { dispatch } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { createServices } from '../../src-main/services/app-services'
import { tempDir } from '../e2e/harness'

describe('sessions.setAlignmentOffset through the IPC dispatcher', () => {
  let context: AppContext | undefined
  afterEach(() => context?.close())

  /** A new study file opened through the app context, with one participant and one session at time 0. */
  function openStudyWithSession(file: string, title: string) {
    const path = join(tempDir('emoheal-offset-'), file)
    const opened = new AppContext({ defaultStudyPath: path, transport: 'cli', version: 'test' })
    // Closed after each test.
    context = opened
    opened.openStudy(path, true, title)
    const participant = opened.study().createParticipant({ code: 'P1', notes: '' })
    const session = opened.study().createSession({
      participantId: participant.id,
      name: 'S',
      startMs: 0,
      timezone: 'UTC',
      durationMs: null,
      notes: ''
    })
    return { path, handlers: createHandlers(createServices(opened)), session, context: opened }
  }

  it('stores the offset with the session, survives reopening, and refuses a non-number', async () => {
    const { path, handlers, session, context } = openStudyWithSession('o.emoheal-study', 'Offsets')

    const set = await dispatch(handlers, context, 'sessions.setAlignmentOffset', {
      id: session.id,
      offsetMs: -2500
    })
    expect(set).toMatchObject({ ok: true, value: { id: session.id, alignmentOffsetMs: -2500 } })

    context.openStudy(path)
    const row = context
      .study()
      .db.prepare('SELECT alignment_offset_ms FROM session WHERE id = ?')
      .get(session.id)
    expect(row).toEqual({ alignment_offset_ms: -2500 })

    const bad = await dispatch(handlers, context, 'sessions.setAlignmentOffset', {
      id: session.id,
      offsetMs: 'soon'
    })
    expect(bad).toMatchObject({ ok: false, error: { name: 'ValidationError', field: 'offsetMs' } })
    const missing = await dispatch(handlers, context, 'sessions.setAlignmentOffset', { id: 999, offsetMs: 0 })
    expect(missing).toMatchObject({ ok: false, error: { name: 'NotFoundError' } })
  })

  it('creates and edits a manual annotation over IPC and refuses an inverted range by field', async () => {
    const { handlers, session, context } = openStudyWithSession('a.emoheal-study', 'Annotations')
    const created = await dispatch(handlers, context, 'annotations.create', {
      sessionId: session.id,
      startMs: 100,
      endMs: 900,
      arousal: 4
    })
    expect(created).toMatchObject({
      ok: true,
      value: { source: 'manual', arousal: 4, valence: null, startMs: 100, endMs: 900 }
    })
    const id = (created as { value: { id: number } }).value.id
    const inverted = await dispatch(handlers, context, 'annotations.update', { id, startMs: 900, endMs: 100 })
    expect(inverted).toMatchObject({ ok: false, error: { name: 'ValidationError', field: 'endMs' } })
    const outOfScale = await dispatch(handlers, context, 'annotations.update', {
      id,
      startMs: 100,
      endMs: 900,
      arousal: 7
    })
    expect(outOfScale).toMatchObject({ ok: false, error: { field: 'arousal' } })
    const listed = await dispatch(handlers, context, 'annotations.list', { sessionId: session.id })
    expect(listed).toMatchObject({ ok: true, value: [{ id, arousal: 4 }] })
  })
})
