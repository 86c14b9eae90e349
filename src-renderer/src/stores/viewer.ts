import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { Session } from '../../../src-main/ipc/contract'
import { call } from '../api/client'
import type { PanelRange } from '../viewer/chart-options'
import { clampWindow, type TimeWindow } from '../viewer/time-window'
import { decodeView, type DecodedView } from '../viewer/wire'

/** The stream the overview strip shows, in order of preference: slow and telling of the whole session. */
const OVERVIEW_PREFERENCE = ['eda', 'temp', 'hr', 'bvp']

/**
 * What the viewer shows: the open session, the visible time window, and level-of-detail data fetched from
 * main for a margin around it, so that panning within the margin only moves the axis and needs no call.
 */
export const useViewerStore = defineStore('viewer', () => {
  const session = shallowRef<Session | null>(null)
  const visible = ref<TimeWindow>({ fromMs: 0, toMs: 1 })
  const view = shallowRef<DecodedView | null>(null)
  const overview = shallowRef<DecodedView | null>(null)
  const ranges = ref<Record<string, PanelRange>>({})
  const plotWidth = ref(1000)
  const cursorMs = ref<number | null>(null)
  const mode = ref<'pan' | 'annotate'>('pan')
  const fetching = ref(false)
  /** When the first data of the open session was drawn, as performance.now() (the benchmark reads it). */
  const firstRenderAt = ref<number | null>(null)
  let openedAt = 0
  let generation = 0
  let pending = false

  const extent = computed(() => {
    const current = session.value
    if (!current) return { startMs: 0, endMs: 1 }
    const starts = current.streams.map((s) => s.startMs).filter((v): v is number => v !== null)
    const ends = current.streams.map((s) => s.endMs).filter((v): v is number => v !== null)
    const startMs = starts.length ? Math.min(...starts) : current.startMs
    const endMs = ends.length ? Math.max(...ends) : current.startMs + (current.durationMs ?? 60_000)
    return { startMs, endMs: Math.max(endMs, startMs + 1000) }
  })

  /** Chart x values are ms after this instant (keeps them small and exact). */
  const originMs = computed(() => extent.value.startMs)

  async function open(next: Session): Promise<void> {
    generation++
    session.value = next
    view.value = null
    overview.value = null
    firstRenderAt.value = null
    openedAt = performance.now()
    cursorMs.value = null
    const names = next.streams.map((s) => s.name)
    ranges.value = Object.fromEntries(
      names.map((name) => [name, ranges.value[name] ?? { auto: true, min: null, max: null }])
    )
    visible.value = { fromMs: extent.value.startMs, toMs: extent.value.endMs }
    await Promise.all([refresh(), loadOverview()])
  }

  function close(): void {
    generation++
    session.value = null
    view.value = null
    overview.value = null
  }

  function setWindow(next: TimeWindow): void {
    visible.value = clampWindow(next, extent.value.startMs, extent.value.endMs)
    void refresh()
  }

  /** Whether the data in hand no longer covers the window, or is too coarse or too fine for its span. */
  function stale(): boolean {
    const data = view.value
    if (!data) return true
    const { fromMs, toMs } = visible.value
    const start = Math.max(fromMs, extent.value.startMs)
    const end = Math.min(toMs, extent.value.endMs)
    if (start < data.fromMs || end > data.toMs) return true
    const pixelsPerMs = data.columns / (data.toMs - data.fromMs)
    const wanted = plotWidth.value / (toMs - fromMs)
    return pixelsPerMs < wanted * 0.7 || pixelsPerMs > wanted * 1.6
  }

  async function refresh(): Promise<void> {
    const current = session.value
    if (!current) return
    if (fetching.value) {
      pending = true
      return
    }
    if (!stale()) return
    const ticket = generation
    const span = visible.value.toMs - visible.value.fromMs
    const fromMs = Math.max(extent.value.startMs, visible.value.fromMs - span)
    const toMs = Math.min(extent.value.endMs + 1, visible.value.toMs + span)
    const columns = Math.max(1, Math.min(10_000, Math.round((plotWidth.value * (toMs - fromMs)) / span)))
    fetching.value = true
    try {
      const result = await call('signals.view', { sessionId: current.id, fromMs, toMs, columns })
      if (ticket === generation) view.value = decodeView(result, originMs.value)
    } finally {
      fetching.value = false
    }
    if (pending || stale()) {
      pending = false
      if (ticket === generation) await refresh()
    }
  }

  async function loadOverview(): Promise<void> {
    const current = session.value
    if (!current) return
    const ticket = generation
    const name =
      OVERVIEW_PREFERENCE.find((n) => current.streams.some((s) => s.name === n)) ?? current.streams[0]?.name
    if (!name) return
    const result = await call('signals.view', {
      sessionId: current.id,
      fromMs: extent.value.startMs,
      toMs: extent.value.endMs + 1,
      columns: Math.max(100, Math.round(plotWidth.value)),
      streams: [name]
    })
    if (ticket === generation) overview.value = decodeView(result, originMs.value)
  }

  function markRendered(): void {
    if (firstRenderAt.value === null && view.value) {
      firstRenderAt.value = performance.now()
      performance.measure('viewer-first-render', { start: openedAt, end: firstRenderAt.value })
    }
  }

  return {
    session,
    visible,
    view,
    overview,
    ranges,
    plotWidth,
    cursorMs,
    mode,
    fetching,
    firstRenderAt,
    extent,
    originMs,
    open,
    close,
    setWindow,
    refresh,
    markRendered
  }
})
