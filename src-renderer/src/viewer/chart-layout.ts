/** Pixel layout of the stacked panels, shared by the chart options and the HTML overlay drawn on top of them. */
export const PLOT_LEFT = 76
export const PLOT_RIGHT = 18
const TOP = 22
const PANEL_HEIGHT = 72
const PANEL_GAP = 24
const TRACK_HEIGHT = 28
const TRACK_GAP = 14
const AXIS_SPACE = 30

export interface Band {
  top: number
  height: number
}

export interface ChartLayout {
  panels: Band[]
  tracks: Band[]
  /** From the top of the first panel to the bottom of the last one (where regions are drawn). */
  signals: Band
  /** From the top of the first track to the bottom of the last (where the offset is dragged). */
  reports: Band | null
  height: number
}

export function chartLayout(panelCount: number, trackCount: number): ChartLayout {
  const panels: Band[] = []
  let y = TOP
  for (let i = 0; i < panelCount; i++) {
    panels.push({ top: y, height: PANEL_HEIGHT })
    y += PANEL_HEIGHT + PANEL_GAP
  }
  const tracks: Band[] = []
  for (let i = 0; i < trackCount; i++) {
    tracks.push({ top: y, height: TRACK_HEIGHT })
    y += TRACK_HEIGHT + TRACK_GAP
  }
  const last = tracks.at(-1) ?? panels.at(-1)
  const height = (last ? last.top + last.height : TOP) + AXIS_SPACE
  const signals = panels.length
    ? { top: panels[0].top, height: panels.at(-1)!.top + PANEL_HEIGHT - panels[0].top }
    : { top: TOP, height: 0 }
  const reports = tracks.length
    ? { top: tracks[0].top, height: tracks.at(-1)!.top + TRACK_HEIGHT - tracks[0].top }
    : null
  return { panels, tracks, signals, reports, height }
}
