import { randomBytes } from 'node:crypto'
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { WINDOW_FEATURES, type WindowFeatures } from '../ipc/contract/labels'
import { windowLabels } from '../labels/window-labels'
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

/** The label windows of a session (edges kept) with their features. */
export function sessionFeatureRows(
  study: StudyStore,
  sessionId: number
): {
  windows: { startMs: number; endMs: number; reportEndMs: number; coverage: number | null }[]
  features: WindowFeatures[]
  notes: string[]
} {
  const windows = windowLabels(study, sessionId, { source: 'external', edges: 'keep' })
  return { windows, ...sessionWindowFeatures(study, sessionId, windows) }
}

/** Writes one row per label window of a session, with its features, to `path` (whole or not at all). */
export function exportFeatures(study: StudyStore, sessionId: number, path: string): FeatureExport {
  const { windows, features, notes } = sessionFeatureRows(study, sessionId)
  const lines = [FEATURE_CSV_COLUMNS.join(',')]
  windows.forEach((w, i) => {
    lines.push(
      [
        String(w.startMs),
        String(w.endMs),
        String(w.reportEndMs),
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
