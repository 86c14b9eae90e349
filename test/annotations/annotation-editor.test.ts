import { afterEach, describe, expect, it } from 'vitest'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { AnnotationEditor, type AnnotationApi } from '../../src-renderer/src/viewer/annotation-editor'
import { SESSION_START as START, studyWithSession } from '../study-fixture'

/** The editor's writes, done on a real study file as the IPC handlers do. */
function storeApi(store: AnnotationStore): AnnotationApi {
  return {
    createRegion: async (sessionId, fields) =>
      store.getAnnotation(
        store.insertAnnotations(sessionId, [{ ...fields, source: 'manual', rater: '' }])[0]
      ),
    updateRegion: async (id, fields) => store.updateAnnotation(id, fields),
    deleteRegion: async (id) => void store.deleteAnnotation(id),
    createMarker: async (sessionId, fields) =>
      store.getMarker(store.insertMarkers(sessionId, [{ ...fields, source: 'manual' }])[0]),
    updateMarker: async (id, fields) => store.updateMarker(id, fields),
    deleteMarker: async (id) => void store.deleteMarker(id)
  }
}

describe('annotation editing with undo and redo on a real study file', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  function setup() {
    const fixture = studyWithSession(null)
    study = fixture.study
    const { sessionId } = fixture
    const store = new AnnotationStore(study.db)
    const editor = new AnnotationEditor(storeApi(store), sessionId)
    const rows = () =>
      study!.db
        .prepare(
          "SELECT start_ms, end_ms, arousal, valence, emotions FROM annotation WHERE source = 'manual' ORDER BY start_ms"
        )
        .all()
    return { sessionId, store, editor, rows }
  }

  it('creates, edits, deletes and walks the history back and forth, with the database matching each step', async () => {
    const { editor, rows } = setup()
    const id = await editor.createRegion({
      startMs: START + 1000,
      endMs: START + 6000,
      arousal: 3,
      valence: 2,
      emotions: { happy: 1 },
      note: ''
    })
    expect(rows()).toEqual([
      { start_ms: START + 1000, end_ms: START + 6000, arousal: 3, valence: 2, emotions: '{"happy":1}' }
    ])

    await editor.updateRegion(id, { arousal: 5 })
    await editor.updateRegion(id, { startMs: START + 2000, endMs: START + 8000 }, 'move region')
    expect(rows()).toEqual([
      { start_ms: START + 2000, end_ms: START + 8000, arousal: 5, valence: 2, emotions: '{"happy":1}' }
    ])

    await editor.deleteRegion(id)
    expect(rows()).toEqual([])

    // Undoing the delete re-inserts the row (under a new id); the older edits must still find it.
    expect(await editor.undo()).toBe('delete region')
    expect(rows()).toEqual([
      { start_ms: START + 2000, end_ms: START + 8000, arousal: 5, valence: 2, emotions: '{"happy":1}' }
    ])
    expect(await editor.undo()).toBe('move region')
    expect(await editor.undo()).toBe('edit region')
    expect(rows()).toEqual([
      { start_ms: START + 1000, end_ms: START + 6000, arousal: 3, valence: 2, emotions: '{"happy":1}' }
    ])
    expect(await editor.undo()).toBe('create region')
    expect(rows()).toEqual([])
    expect(await editor.undo()).toBeNull()

    expect(await editor.redo()).toBe('create region')
    expect(await editor.redo()).toBe('edit region')
    expect(rows()).toEqual([
      { start_ms: START + 1000, end_ms: START + 6000, arousal: 5, valence: 2, emotions: '{"happy":1}' }
    ])
    expect(editor.regionList().map((r) => r.arousal)).toEqual([5])

    // A new change after undo drops the redo branch.
    await editor.undo()
    const [current] = editor.regionList()
    await editor.updateRegion(current.id, { valence: 4 })
    expect(editor.stack.canRedo).toBe(false)
    expect(rows()).toEqual([
      { start_ms: START + 1000, end_ms: START + 6000, arousal: 3, valence: 4, emotions: '{"happy":1}' }
    ])
  })

  it('undoes marker creation, moves and deletion', async () => {
    const { sessionId, store, editor } = setup()
    const id = await editor.createMarker({ timeMs: START + 500, label: 'laugh' })
    await editor.updateMarker(id, { timeMs: START + 900 }, 'move marker')
    expect(store.listMarkers(sessionId).map((m) => [m.timeMs, m.label])).toEqual([[START + 900, 'laugh']])
    await editor.deleteMarker(id)
    expect(store.listMarkers(sessionId)).toEqual([])
    await editor.undo()
    await editor.undo()
    expect(store.listMarkers(sessionId).map((m) => [m.timeMs, m.label])).toEqual([[START + 500, 'laugh']])
    await editor.undo()
    expect(store.listMarkers(sessionId)).toEqual([])
  })

  it('records nothing when a write is refused, and refuses to edit a participant report', async () => {
    const { sessionId, store, editor } = setup()
    const [reportId] = store.insertAnnotations(sessionId, [
      { source: 'self', rater: '', startMs: START, endMs: START + 5000, arousal: 2, valence: 3, emotions: {} }
    ])
    expect(() =>
      store.updateAnnotation(reportId, {
        startMs: START,
        endMs: START + 5000,
        arousal: 4,
        valence: 3,
        emotions: {},
        note: ''
      })
    ).toThrow(/self report and cannot be edited/)
    expect(() => store.deleteAnnotation(reportId)).toThrow(/cannot be deleted/)
    expect(store.getAnnotation(reportId).arousal).toBe(2)

    const id = await editor.createRegion({
      startMs: START,
      endMs: START + 1000,
      arousal: null,
      valence: null,
      emotions: {},
      note: ''
    })
    await expect(editor.updateRegion(id, { startMs: START + 2000, endMs: START + 1000 })).rejects.toThrow(
      /end before it starts/
    )
    expect(editor.stack.undoLabel).toBe('create region')
    expect(store.getAnnotation(id).startMs).toBe(START)
  })

  it('keeps every one of several edits made before the first is written, and undoes them one by one', async () => {
    const { sessionId, store } = setup()
    // The page's writes go over IPC: each one answers a little later, so edits overlap as when a user
    // picks arousal and presses a valence key at once.
    const slow = storeApi(store)
    const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 20))
    const api: AnnotationApi = {
      ...slow,
      updateRegion: async (id, fields) => later(await slow.updateRegion(id, fields)),
      updateMarker: async (id, fields) => later(await slow.updateMarker(id, fields))
    }
    const editor = new AnnotationEditor(api, sessionId)
    const id = await editor.createRegion({
      startMs: START,
      endMs: START + 4000,
      arousal: null,
      valence: null,
      emotions: {},
      note: ''
    })
    const region = () => {
      const { startMs, arousal, valence, emotions } = store.getAnnotation(editor.regionList()[0].id)
      return { startMs, arousal, valence, emotions }
    }
    const addEmotion = (name: string) => (before: { emotions: Record<string, number | null> }) => ({
      emotions: { ...before.emotions, [name]: 1 }
    })
    await Promise.all([
      editor.updateRegion(id, { arousal: 4 }),
      editor.updateRegion(id, { valence: 2 }),
      editor.updateRegion(id, addEmotion('happy')),
      editor.updateRegion(id, addEmotion('calm')),
      editor.updateRegion(id, ({ startMs, endMs }) => ({ startMs: startMs + 1000, endMs: endMs + 1000 })),
      editor.updateRegion(id, ({ startMs, endMs }) => ({ startMs: startMs + 1000, endMs: endMs + 1000 }))
    ])
    expect(region()).toEqual({
      startMs: START + 2000,
      arousal: 4,
      valence: 2,
      emotions: { happy: 1, calm: 1 }
    })

    await Promise.all([editor.undo(), editor.undo(), editor.undo()])
    expect(region()).toEqual({ startMs: START, arousal: 4, valence: 2, emotions: { happy: 1 } })
    await editor.undo()
    await editor.undo()
    expect(region()).toEqual({ startMs: START, arousal: 4, valence: null, emotions: {} })
    await editor.redo()
    expect(region()).toEqual({ startMs: START, arousal: 4, valence: 2, emotions: {} })

    const marker = await editor.createMarker({ timeMs: START + 100, label: 'cue' })
    await Promise.all([
      editor.updateMarker(marker, ({ timeMs }) => ({ timeMs: timeMs + 1000 })),
      editor.updateMarker(marker, { label: 'laugh' }),
      editor.updateMarker(marker, ({ timeMs }) => ({ timeMs: timeMs + 1000 }))
    ])
    expect(store.listMarkers(sessionId).map((m) => [m.timeMs, m.label])).toEqual([[START + 2100, 'laugh']])
  })
})
