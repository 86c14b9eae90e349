import type { ModelView, PredictionView } from '../../../src-main/ipc/contract'

export type PredictedTarget = 'arousal' | 'valence'

export const PREDICTED_TARGETS: PredictedTarget[] = ['arousal', 'valence']

/** One predicted window on the signal timeline, with the model's probability of the high class. */
export interface PredictionWindow {
  target: PredictedTarget
  startMs: number
  endMs: number
  probability: number
}

export type ModelTrack = Record<PredictedTarget, PredictionWindow[]>

/** The window length a model was trained on, read as session inference reads it (5 s when not recorded). */
export function modelWindowMs(model: Pick<ModelView, 'config' | 'metrics'>): number {
  const config = model.config as { kind?: string; windowSeconds?: number }
  if (config.kind === 'native-rate' && typeof config.windowSeconds === 'number')
    return config.windowSeconds * 1000
  const windows = (model.metrics as { windows?: { windowMs?: unknown } }).windows
  return typeof windows?.windowMs === 'number' && windows.windowMs > 0 ? windows.windowMs : 5000
}

/** The models that have stored predictions among the rows, in registry order. */
export function modelsWithPredictions(models: ModelView[], rows: PredictionView[]): ModelView[] {
  const ids = new Set(rows.map((row) => row.modelId))
  return models.filter((model) => ids.has(model.id))
}

/**
 * The model shown for each target: the chosen model for its own target, the active model for the other.
 * A target whose model has no stored predictions is left out (null).
 */
export function shownModels(
  models: ModelView[],
  rows: PredictionView[],
  chosenId: number | null
): Record<PredictedTarget, ModelView | null> {
  const withRows = modelsWithPredictions(models, rows)
  const chosen = withRows.find((model) => model.id === chosenId) ?? null
  const pick = (target: PredictedTarget): ModelView | null =>
    chosen?.target === target
      ? chosen
      : (withRows.find((model) => model.active && model.target === target) ?? null)
  return { arousal: pick('arousal'), valence: pick('valence') }
}

/** Each shown model's windows of its target, sorted by time; a window ends at its stored end. */
export function modelTrack(
  rows: PredictionView[],
  shown: Record<PredictedTarget, ModelView | null>
): ModelTrack {
  const track: ModelTrack = { arousal: [], valence: [] }
  for (const target of PREDICTED_TARGETS) {
    const model = shown[target]
    if (!model) continue
    const windowMs = modelWindowMs(model)
    track[target] = rows
      .filter((row) => row.modelId === model.id && row.target === target)
      .map((row) => ({
        target,
        startMs: row.windowEndMs - windowMs,
        endMs: row.windowEndMs,
        probability: row.probabilities[1] ?? Number.NaN
      }))
      .sort((a, b) => a.endMs - b.endMs)
  }
  return track
}

/**
 * A step line over the windows, flat across each: a gap between windows lifts the line (null), and where
 * windows overlap the later one starts where the earlier ends, so the line never runs backwards in time.
 */
export function probabilitySteps(windows: PredictionWindow[], originMs: number): [number, number | null][] {
  const points: [number, number | null][] = []
  let lastEnd = -Infinity
  for (const window of windows) {
    const start = Math.max(window.startMs, lastEnd)
    if (points.length > 0 && start - lastEnd > 1) points.push([(lastEnd + start) / 2 - originMs, null])
    points.push([start - originMs, window.probability], [window.endMs - originMs, window.probability])
    lastEnd = window.endMs
  }
  return points
}

/** The windows covering a time, per target (binary search: a two-hour session has about 1,440 of them). */
export function predictionsAt(
  track: ModelTrack,
  timeMs: number
): Record<PredictedTarget, PredictionWindow | null> {
  const at = (windows: PredictionWindow[]): PredictionWindow | null => {
    let low = 0
    let high = windows.length
    while (low < high) {
      const middle = (low + high) >> 1
      if (windows[middle].endMs <= timeMs) low = middle + 1
      else high = middle
    }
    const window = windows[low]
    return window && window.startMs <= timeMs ? window : null
  }
  return { arousal: at(track.arousal), valence: at(track.valence) }
}
