import { randomBytes } from 'node:crypto'
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { WINDOW_FEATURES, type WindowFeatures } from '../ipc/contract/labels'
import { recordingSpan } from '../labels/alignment'
import { windowLabels } from '../labels/window-labels'
import { ValidationError } from '../errors'
import { sessionWindowFeatures } from '../signal/session-features'
import type { StudyStore } from '../store/study-store'

export const FEATURE_CSV_COLUMNS = [
  'start_ms',
  'end_ms',
  'report_end_ms',
  'coverage',
  ...WINDOW_FEATURES.map((f) => f.column)
] as const

export interface FeatureExport {
  sessionId: number
  path: string
  rowCount: number
  columns: string[]
  /** Windows with each feature present (the rest are empty cells: see signal/window-features.ts). */
  present: Record<string, number>
  notes: string[]
}

/**
 * A feature value as a CSV cell: empty when null (pandas reads it as NaN), else eight significant digits, so a
 * slope of 1e-7 µS/min keeps its value instead of rounding to 0.
 */
export function featureCell(value: number | null): string {
  return value === null ? '' : String(Number(value.toPrecision(8)))
}

interface FeatureWindow {
  startMs: number
  endMs: number
  reportEndMs: number | null
  coverage: number | null
}

/** Regular windows: from one beat's worth to an hour (HRV over longer spans is no longer short-term HRV). */
export const MIN_WINDOW_S = 1
export const MAX_WINDOW_S = 3600
const LAST_SAMPLE_SLACK_MS = 1000

/**
 * The windows of a session with their features: its label windows (edges kept), or with `windowSeconds` a regular
 * grid of windows of that length from the recording's start (the last one kept if it ends within a second of the last
 * sample: the span ends at the last sample's time, not a period after it), for sessions without
 * reports or for windows long enough for pNN50.
 */
export function sessionFeatureRows(
  study: StudyStore,
  sessionId: number,
  windowSeconds?: number
): { windows: FeatureWindow[]; features: WindowFeatures[]; notes: string[] } {
  let windows: FeatureWindow[]
  if (windowSeconds === undefined)
    windows = windowLabels(study, sessionId, { source: 'external', edges: 'keep' })
  else {
    if (!(windowSeconds >= MIN_WINDOW_S && windowSeconds <= MAX_WINDOW_S))
      throw new ValidationError(
        `--window-s must be from ${MIN_WINDOW_S} to ${MAX_WINDOW_S} s, got ${windowSeconds}`,
        'window-s'
      )
    const span = recordingSpan(study.getSession(sessionId))
    windows = []
    const lengthMs = windowSeconds * 1000
    if (span)
      for (let start = span.startMs; start + lengthMs <= span.endMs + LAST_SAMPLE_SLACK_MS; start += lengthMs)
        windows.push({
          startMs: start,
          endMs: start + lengthMs,
          reportEndMs: null,
          coverage: Math.min(1, (span.endMs - start) / lengthMs)
        })
  }
  return { windows, ...sessionWindowFeatures(study, sessionId, windows) }
}

/** Writes one row per window of a session (see sessionFeatureRows) with its features to `path`, whole or not at all. */
export function exportFeatures(
  study: StudyStore,
  sessionId: number,
  path: string,
  windowSeconds?: number
): FeatureExport {
  const { windows, features, notes } = sessionFeatureRows(study, sessionId, windowSeconds)
  const lines = [FEATURE_CSV_COLUMNS.join(',')]
  windows.forEach((w, i) => {
    lines.push(
      [
        String(w.startMs),
        String(w.endMs),
        w.reportEndMs === null ? '' : String(w.reportEndMs),
        w.coverage === null ? '' : String(Number(w.coverage.toFixed(6))),
        ...WINDOW_FEATURES.map((f) => featureCell(features[i][f.key]))
      ].join(',')
    )
  })
  const temporary = join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  )
  try {
    writeFileSync(temporary, lines.join('\n') + '\n')
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
  const present = Object.fromEntries(
    WINDOW_FEATURES.map((f) => [f.column, features.filter((row) => row[f.key] !== null).length])
  )
  return { sessionId, path, rowCount: windows.length, columns: [...FEATURE_CSV_COLUMNS], present, notes }
}
