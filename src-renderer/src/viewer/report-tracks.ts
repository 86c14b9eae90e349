import type { Annotation } from '../../../src-main/ipc/contract/annotations'

export type ReportSource = 'self' | 'partner' | 'external'

export const REPORT_SOURCES: ReportSource[] = ['self', 'partner', 'external']

/** One labelled window of a report timeline, already shifted onto the signal timeline. */
export interface ReportWindow {
  source: ReportSource
  startMs: number
  endMs: number
  arousal: number | null
  valence: number | null
  raters: number
}

/**
 * The windows each source reports, shifted by the session's alignment offset. External raters are shown
 * as one track: their 'aggregate' row where the import kept one, otherwise the mean of the raters.
 */
export function reportWindows(
  annotations: Annotation[],
  offsetMs: number
): Record<ReportSource, ReportWindow[]> {
  const result: Record<ReportSource, ReportWindow[]> = { self: [], partner: [], external: [] }
  const external = annotations.filter((a) => a.source === 'external')
  const aggregate = external.filter((a) => a.rater === 'aggregate')
  const byWindow = new Map<string, Annotation[]>()
  for (const annotation of aggregate.length > 0 ? aggregate : external) {
    const key = `${annotation.startMs}:${annotation.endMs}`
    byWindow.set(key, [...(byWindow.get(key) ?? []), annotation])
  }
  const mean = (values: (number | null)[]): number | null => {
    const present = values.filter((v): v is number => v !== null)
    return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null
  }
  for (const group of byWindow.values()) {
    result.external.push({
      source: 'external',
      startMs: group[0].startMs + offsetMs,
      endMs: group[0].endMs + offsetMs,
      arousal: mean(group.map((a) => a.arousal)),
      valence: mean(group.map((a) => a.valence)),
      raters: group.length
    })
  }
  for (const annotation of annotations) {
    if (annotation.source !== 'self' && annotation.source !== 'partner') continue
    result[annotation.source].push({
      source: annotation.source,
      startMs: annotation.startMs + offsetMs,
      endMs: annotation.endMs + offsetMs,
      arousal: annotation.arousal,
      valence: annotation.valence,
      raters: 1
    })
  }
  for (const source of REPORT_SOURCES) result[source].sort((a, b) => a.startMs - b.startMs)
  return result
}

/** A step line over the windows: flat across each window, lifted (null) where windows do not touch. */
export function stepPoints(
  windows: ReportWindow[],
  value: 'arousal' | 'valence',
  originMs: number
): [number, number | null][] {
  const points: [number, number | null][] = []
  let lastEnd = -Infinity
  for (const window of windows) {
    const level = window[value]
    if (points.length > 0 && window.startMs - lastEnd > 1)
      points.push([(lastEnd + window.startMs) / 2 - originMs, null])
    points.push([window.startMs - originMs, level], [window.endMs - originMs, level])
    lastEnd = window.endMs
  }
  return points
}

export function windowAt(windows: ReportWindow[], timeMs: number): ReportWindow | null {
  return windows.find((w) => w.startMs <= timeMs && timeMs < w.endMs) ?? null
}
