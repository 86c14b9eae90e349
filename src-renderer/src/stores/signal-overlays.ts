import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import {
  OVERLAYS_BY_STREAM,
  type OverlayKind,
  type OverlayResult,
  type SignalOverlays
} from '../../../src-main/ipc/contract/signals'
import { call } from '../api/client'
import { base64ToFloat32 } from '../viewer/wire'
import { useViewerStore } from './viewer'

/** One overlay ready to draw: flat [x0, y0, x1, y1, ...] with x in ms after the session origin; spans in epoch ms. */
export interface DecodedOverlay {
  kind: OverlayKind
  note?: string
  line?: Float64Array
  marks?: Float64Array
  total?: number
  spans?: { startMs: number; endMs: number; value: number }[]
}

const STORAGE_KEY = 'emoheal.signal-overlays'

function loadChoice(): Record<string, OverlayKind[]> {
  try {
    const saved = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '{}') as unknown
    if (saved && typeof saved === 'object') {
      const choice: Record<string, OverlayKind[]> = {}
      for (const [stream, kinds] of Object.entries(saved as Record<string, unknown>)) {
        const offered = OVERLAYS_BY_STREAM[stream] ?? []
        if (Array.isArray(kinds)) choice[stream] = offered.filter((kind) => kinds.includes(kind))
      }
      return choice
    }
  } catch {
    // A damaged or unavailable storage starts with no overlays.
  }
  return {}
}

function flat(times: string, values: string, shift: number): Float64Array {
  const t = base64ToFloat32(times)
  const v = base64ToFloat32(values)
  const points = new Float64Array(t.length * 2)
  for (let i = 0; i < t.length; i++) {
    points[2 * i] = t[i] + shift
    points[2 * i + 1] = v[i]
  }
  return points
}

export function decodeOverlay(result: OverlayResult, baseMs: number, originMs: number): DecodedOverlay {
  const shift = baseMs - originMs
  return {
    kind: result.kind,
    note: result.note,
    line: result.line ? flat(result.line.times, result.line.values, shift) : undefined,
    marks: result.marks ? flat(result.marks.times, result.marks.values, shift) : undefined,
    total: result.marks?.total,
    spans: result.spans?.map((span) => ({
      startMs: span.startMs + baseMs,
      endMs: span.endMs + baseMs,
      value: span.value
    }))
  }
}

/**
 * What is drawn over the Annotate panels: which overlays are switched on per stream (remembered across
 * sessions and restarts) and their data for the range the viewer last fetched, computed in main.
 */
export const useSignalOverlaysStore = defineStore('signal-overlays', () => {
  const viewer = useViewerStore()
  const enabled = ref<Record<string, OverlayKind[]>>(loadChoice())
  /** Per stream name, the overlays of the view in hand. */
  const data = shallowRef<Record<string, DecodedOverlay[]>>({})
  const error = ref<string | null>(null)
  let generation = 0

  function offered(stream: string): readonly OverlayKind[] {
    return OVERLAYS_BY_STREAM[stream] ?? []
  }

  function isOn(stream: string, kind: OverlayKind): boolean {
    return enabled.value[stream]?.includes(kind) ?? false
  }

  function toggle(stream: string, kind: OverlayKind, on: boolean): void {
    const current = enabled.value[stream] ?? []
    const next = on ? [...new Set([...current, kind])] : current.filter((k) => k !== kind)
    enabled.value = { ...enabled.value, [stream]: offered(stream).filter((k) => next.includes(k)) }
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(enabled.value))
    } catch {
      // Not remembered across restarts; still on for now.
    }
    void refresh()
  }

  /** Fetches the switched-on overlays for the range and resolution of the viewer's current view. */
  async function refresh(): Promise<void> {
    const session = viewer.session
    const view = viewer.view
    const ticket = ++generation
    if (!session || !view) {
      data.value = {}
      return
    }
    const wanted = session.streams
      .map((stream) => ({ stream, kinds: offered(stream.name).filter((k) => isOn(stream.name, k)) }))
      .filter(({ kinds }) => kinds.length > 0)
    try {
      const results: SignalOverlays[] = await Promise.all(
        wanted.map(({ stream, kinds }) =>
          call('signals.overlays', {
            sessionId: session.id,
            streamId: stream.id,
            kinds,
            fromMs: view.fromMs,
            toMs: view.toMs,
            points: Math.max(10, Math.min(20_000, view.columns * 2))
          })
        )
      )
      if (ticket !== generation) return
      const next: Record<string, DecodedOverlay[]> = {}
      for (const result of results)
        next[result.stream] = result.results.map((r) => decodeOverlay(r, result.baseMs, viewer.originMs))
      data.value = next
      error.value = null
    } catch (failure) {
      // Overlays are an extra: a failure is shown on the panels, never blanks the page.
      if (ticket === generation) error.value = failure instanceof Error ? failure.message : String(failure)
    }
  }

  function clear(): void {
    generation++
    data.value = {}
  }

  return { enabled, data, error, offered, isOn, toggle, refresh, clear }
})

export const OVERLAY_LABELS: Record<OverlayKind, string> = {
  cleaned: 'cleaned',
  tonic: 'tonic',
  phasic: 'phasic',
  scr: 'SCR peaks',
  beats: 'beats',
  hr: 'HR from beats',
  motion: 'motion',
  quality: 'quality'
}

const OVERLAY_COLORS: Record<OverlayKind, string> = {
  cleaned: '#1d2330',
  tonic: '#c23b3b',
  phasic: '#9b59b6',
  scr: '#c23b3b',
  beats: '#d9822b',
  hr: '#c23b3b',
  motion: '#9b59b6',
  quality: '#2e9e5b'
}

export interface OverlayChart {
  series: object[]
  yAxes: object[]
  /** Series id → points drawn. */
  counts: Record<string, number>
  /** What a change of requires a rebuild of the chart (not only new data). */
  shape: string
}

/**
 * ECharts series for the line and marker overlays, on the panels' own axes; phasic EDA (around 0) and a heart
 * rate without an HR panel get a second y axis inside their panel. `baseAxes` is how many y axes the chart
 * has before these (one per panel and track).
 */
export function overlayChart(
  panelNames: string[],
  baseAxes: number,
  data: Record<string, DecodedOverlay[]>
): OverlayChart {
  const series: object[] = []
  const yAxes: object[] = []
  const counts: Record<string, number> = {}
  const secondAxis = (gridIndex: number, color: string): number => {
    yAxes.push({
      type: 'value',
      gridIndex,
      position: 'right',
      scale: true,
      splitNumber: 2,
      axisLine: { show: false },
      axisTick: { show: false },
      axisLabel: { inside: true, color, fontSize: 9 },
      splitLine: { show: false }
    })
    return baseAxes + yAxes.length - 1
  }
  panelNames.forEach((name, index) => {
    for (const overlay of data[name] ?? []) {
      const id = `overlay.${name}.${overlay.kind}`
      const color = OVERLAY_COLORS[overlay.kind]
      if (overlay.line) {
        const axis = overlay.kind === 'phasic' ? secondAxis(index, color) : index
        series.push({
          type: 'line',
          id,
          name: id,
          xAxisIndex: index,
          yAxisIndex: axis,
          data: overlay.line,
          showSymbol: false,
          symbol: 'none',
          connectNulls: false,
          lineStyle: { width: overlay.kind === 'tonic' ? 2 : 1.2, color, type: overlay.kind === 'tonic' ? 'dashed' : 'solid' },
          itemStyle: { color },
          silent: true,
          animation: false,
          clip: true,
          z: 3
        })
        counts[id] = overlay.line.length / 2
      } else if (overlay.marks && overlay.kind === 'hr') {
        const hrPanel = panelNames.indexOf('hr')
        const grid = hrPanel >= 0 ? hrPanel : index
        series.push({
          type: 'line',
          id,
          name: id,
          xAxisIndex: grid,
          yAxisIndex: hrPanel >= 0 ? hrPanel : secondAxis(index, color),
          data: overlay.marks,
          showSymbol: false,
          symbol: 'none',
          lineStyle: { width: 1.5, color },
          itemStyle: { color },
          silent: true,
          animation: false,
          clip: true,
          z: 3
        })
        counts[id] = overlay.marks.length / 2
      } else if (overlay.marks) {
        series.push({
          type: 'scatter',
          id,
          name: id,
          xAxisIndex: index,
          yAxisIndex: index,
          data: overlay.marks,
          symbol: overlay.kind === 'scr' ? 'triangle' : 'circle',
          symbolSize: overlay.kind === 'scr' ? 9 : 5,
          itemStyle: { color, borderColor: '#ffffff', borderWidth: 0.5 },
          silent: true,
          animation: false,
          clip: true,
          z: 4
        })
        counts[id] = overlay.marks.length / 2
      }
    }
  })
  const shape = JSON.stringify([series.map((s) => (s as { id: string }).id), yAxes.length])
  return { series, yAxes, counts, shape }
}
