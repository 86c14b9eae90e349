import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Annotation, Marker, Session } from '../../../src-main/ipc/contract'
import { call } from '../api/client'
import {
  AnnotationEditor,
  type AnnotationApi,
  type FieldChange,
  type MarkerFields,
  type RegionFields
} from '../viewer/annotation-editor'
import { CommandStack } from '../viewer/command-stack'
import { reportWindows } from '../viewer/report-tracks'

const ipcApi: AnnotationApi = {
  createRegion: (sessionId, fields) => call('annotations.create', { sessionId, ...fields }),
  updateRegion: (id, fields) => call('annotations.update', { id, ...fields }),
  deleteRegion: async (id) => void (await call('annotations.delete', { id })),
  createMarker: (sessionId, fields) => call('markers.create', { sessionId, ...fields }),
  updateMarker: (id, fields) => call('markers.update', { id, ...fields }),
  deleteMarker: async (id) => void (await call('markers.delete', { id }))
}

export type Selection = { kind: 'region' | 'marker'; id: number } | null

/** Hand annotations, markers and report tracks of the open session, with undo history and the alignment offset. */
export const useAnnotationStore = defineStore('annotations', () => {
  const regions = shallowRef<Annotation[]>([])
  const markers = shallowRef<Marker[]>([])
  const reports = shallowRef<Annotation[]>([])
  const offsetMs = ref(0)
  /** The offset while a track is being dragged, before it is saved. */
  const previewOffsetMs = ref<number | null>(null)
  const selection = ref<Selection>(null)
  const canUndo = ref(false)
  const canRedo = ref(false)
  const undoLabel = ref<string | null>(null)
  const redoLabel = ref<string | null>(null)
  let editor: AnnotationEditor | null = null
  let sessionId: number | null = null

  function sync(): void {
    if (!editor) return
    regions.value = editor.regionList()
    markers.value = editor.markerList()
    canUndo.value = editor.stack.canUndo
    canRedo.value = editor.stack.canRedo
    undoLabel.value = editor.stack.undoLabel
    redoLabel.value = editor.stack.redoLabel
    const current = selection.value
    if (
      current &&
      !(current.kind === 'region' ? regions.value : markers.value).some((item) => item.id === current.id)
    ) {
      selection.value = null
    }
  }

  async function load(session: Session): Promise<void> {
    sessionId = session.id
    editor = new AnnotationEditor(ipcApi, session.id, new CommandStack(200, sync))
    offsetMs.value = session.alignmentOffsetMs
    previewOffsetMs.value = null
    selection.value = null
    const [all, markerList] = await Promise.all([
      call('annotations.list', { sessionId: session.id }),
      call('markers.list', { sessionId: session.id })
    ])
    if (sessionId !== session.id) return
    reports.value = all.filter((a) => a.source !== 'manual')
    editor.load(all, markerList)
    sync()
  }

  function requireEditor(): AnnotationEditor {
    if (!editor) throw new Error('open a session first')
    return editor
  }

  const selectedRegion = computed(() => {
    const current = selection.value
    return current?.kind === 'region' ? (regions.value.find((r) => r.id === current.id) ?? null) : null
  })

  const selectedMarker = computed(() => {
    const current = selection.value
    return current?.kind === 'marker' ? (markers.value.find((m) => m.id === current.id) ?? null) : null
  })

  const shownOffsetMs = computed(() => previewOffsetMs.value ?? offsetMs.value)
  const windows = computed(() => reportWindows(reports.value, shownOffsetMs.value))

  async function createRegion(fields: RegionFields): Promise<void> {
    const id = await requireEditor().createRegion(fields)
    selection.value = { kind: 'region', id }
  }

  async function updateRegion(id: number, change: FieldChange<RegionFields>, label?: string): Promise<void> {
    await requireEditor().updateRegion(id, change, label)
  }

  async function createMarker(fields: MarkerFields): Promise<void> {
    const id = await requireEditor().createMarker(fields)
    selection.value = { kind: 'marker', id }
  }

  async function updateMarker(id: number, change: FieldChange<MarkerFields>, label?: string): Promise<void> {
    await requireEditor().updateMarker(id, change, label)
  }

  async function deleteSelected(): Promise<void> {
    const current = selection.value
    if (!current) return
    if (current.kind === 'region') await requireEditor().deleteRegion(current.id)
    else await requireEditor().deleteMarker(current.id)
    selection.value = null
  }

  async function undo(): Promise<void> {
    await requireEditor().undo()
  }

  async function redo(): Promise<void> {
    await requireEditor().redo()
  }

  /** Saves the offset with the session at once (it is a property of the recording, not an undoable edit). */
  async function saveOffset(ms: number): Promise<Session> {
    if (sessionId === null) throw new Error('open a session first')
    const rounded = Math.round(ms)
    try {
      const session = await call('sessions.setAlignmentOffset', { id: sessionId, offsetMs: rounded })
      offsetMs.value = session.alignmentOffsetMs
      return session
    } finally {
      previewOffsetMs.value = null
    }
  }

  return {
    regions,
    markers,
    reports,
    offsetMs,
    previewOffsetMs,
    shownOffsetMs,
    windows,
    selection,
    selectedRegion,
    selectedMarker,
    canUndo,
    canRedo,
    undoLabel,
    redoLabel,
    load,
    createRegion,
    updateRegion,
    createMarker,
    updateMarker,
    deleteSelected,
    undo,
    redo,
    saveOffset
  }
})
