import { writeFileSync } from 'node:fs'
import { ANNOTATION_COLUMNS } from '../datasets/kemocon/annotations'
import { DEBATE_START_LABEL } from '../datasets/kemocon/kemocon-importer'
import {
  WINDOW_FEATURES,
  type WindowFeatures,
  type ExportFormat,
  type LabelExport,
  type LabelledWindow,
  type LabelSource,
  type SourceWeights
} from '../ipc/contract/labels'
import { binaryClass } from '../labels/fusion'
import { reportGroups, type ReportGroup } from '../labels/reports'
import { windowLabels } from '../labels/window-labels'
import { sessionWindowFeatures, type SessionFeatureCache } from '../signal/session-features'
import { featureCell } from './features-export'
import { AnnotationStore } from '../store/annotation-store'
import type { StudyStore } from '../store/study-store'

export interface LabelExportOptions {
  sessionId: number
  format: ExportFormat
  source: LabelSource
  threshold: number
  weights?: SourceWeights
  path?: string
}

/** Missing values are written as empty cells: pandas and our own reader take them as missing, "x" would make a column text. */
function cell(value: number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'boolean') return value ? '1' : '0'
  return String(Number.isInteger(value) ? value : Number(value.toFixed(6)))
}

function csv(header: readonly string[], rows: string[][]): string {
  return [header.join(','), ...rows.map((row) => row.join(','))].join('\n') + '\n'
}

/** The debate's start: K-EmoCon's "debate start" marker, else the start of the first report. */
function debateStartMs(study: StudyStore, sessionId: number, groups: ReportGroup[]): number {
  const marker = new AnnotationStore(study.db)
    .listMarkers(sessionId)
    .find((m) => m.label === DEBATE_START_LABEL)
  if (marker) return marker.timeMs
  return Math.min(...groups.flatMap((g) => g.reports.map((r) => r.startMs)))
}

/** The emotion columns come from the one report behind the label: self, partner, or the external aggregate. */
function emotionsOf(group: ReportGroup, source: LabelSource): Record<string, number | null> {
  if (source === 'self' || source === 'partner')
    return group.reports.find((r) => r.source === source)?.emotions ?? {}
  if (source === 'external')
    return group.reports.find((r) => r.source === 'external' && r.rater === 'aggregate')?.emotions ?? {}
  return {}
}

/**
 * K-EmoCon's annotation layout: `seconds` is the end of each 5-s report counted from the debate start (report
 * time: the alignment offset is not applied), arousal and valence are the chosen source's labels with the
 * corrections in force, the emotion columns are that source's own ratings where it has them.
 */
function kemoconCsv(study: StudyStore, windows: LabelledWindow[], options: LabelExportOptions): string[][] {
  const groups = reportGroups(study.db, options.sessionId)
  const byEnd = new Map(groups.map((g) => [g.reportEndMs, g]))
  const start = debateStartMs(study, options.sessionId, groups)
  const emotionColumns = ANNOTATION_COLUMNS.slice(3)
  return windows.map((window) => {
    const emotions = emotionsOf(byEnd.get(window.reportEndMs)!, options.source)
    return [
      cell((window.reportEndMs - start) / 1000),
      cell(window.arousal),
      cell(window.valence),
      ...emotionColumns.map((c) => cell(emotions[c]))
    ]
  })
}

// prettier-ignore
export const WINDOW_COLUMNS = [
  'start_ms', 'end_ms', 'report_end_ms', 'coverage',
  'self_arousal', 'self_valence', 'partner_arousal', 'partner_valence', 'external_arousal', 'external_valence',
  'label_arousal', 'label_valence', 'class_arousal', 'class_valence', 'corrected_arousal', 'corrected_valence',
  ...WINDOW_FEATURES.map((f) => f.column)
] as const

/** One row per window in signal time (offset applied), ready for training, with its physiological features. */
function windowsCsv(windows: LabelledWindow[], features: WindowFeatures[], threshold: number): string[][] {
  // prettier-ignore
  return windows.map((w, i) => [
    cell(w.startMs), cell(w.endMs), cell(w.reportEndMs), cell(w.coverage),
    cell(w.sources.self.arousal), cell(w.sources.self.valence),
    cell(w.sources.partner.arousal), cell(w.sources.partner.valence),
    cell(w.sources.external.arousal), cell(w.sources.external.valence),
    cell(w.arousal), cell(w.valence),
    cell(binaryClass(w.arousal, threshold)), cell(binaryClass(w.valence, threshold)),
    cell(w.arousalCorrected), cell(w.valenceCorrected),
    ...WINDOW_FEATURES.map((f) => featureCell(features[i][f.key]))
  ])
}

export function exportLabels(
  study: StudyStore,
  options: LabelExportOptions,
  features?: SessionFeatureCache
): LabelExport {
  const session = study.getSession(options.sessionId)
  const windows = windowLabels(study, options.sessionId, {
    source: options.source,
    weights: options.weights,
    edges: 'keep'
  })
  const text =
    options.format === 'kemocon'
      ? csv(ANNOTATION_COLUMNS, kemoconCsv(study, windows, options))
      : csv(
          WINDOW_COLUMNS,
          windowsCsv(
            windows,
            sessionWindowFeatures(study, options.sessionId, windows, features).features,
            options.threshold
          )
        )
  const safeName = `${session.participantCode}-${session.name}`.replace(/[^A-Za-z0-9._-]+/g, '_')
  const fileName = `${safeName}.${options.source}.${options.format === 'kemocon' ? 'annotations' : 'windows'}.csv`
  if (options.path) writeFileSync(options.path, text)
  return { format: options.format, fileName, csv: text, rowCount: windows.length, path: options.path ?? null }
}
