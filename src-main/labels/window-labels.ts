import { NotFoundError } from '../errors'
import type { LabelledWindow, LabelSource, LabelTarget, SourceWeights } from '../ipc/contract/labels'
import type { StudyStore } from '../store/study-store'
import {
  coverageOf,
  keepsWindow,
  recordingSpan,
  REPORT_INTERVAL_MS,
  windowOf,
  type EdgeRule
} from './alignment'
import { majorityRating, weightedRating, type SourceValues } from './fusion'
import { reportGroups } from './reports'
import { RevisionStore } from './revision-store'

export type { LabelledWindow, LabelSource } from '../ipc/contract/labels'

export interface WindowLabelOptions {
  source: LabelSource
  /** Decides what `corrected` means: a correction of this target. Without it, of either target. */
  target?: LabelTarget
  /** Length of the window ending at each report; default 5000 (K-EmoCon's 5-s reports). */
  windowMs?: number
  /** Per-source weights of the 'weighted' source; default equal. */
  weights?: SourceWeights
  /** Windows at the recording's edges; default 'overlap' (drop only windows wholly outside the recording). */
  edges?: EdgeRule
  /** Apply manual corrections; default true. */
  corrections?: boolean
}

export function fuse(values: SourceValues, source: LabelSource, weights?: SourceWeights): number | null {
  if (source === 'majority') return majorityRating(values)
  if (source === 'weighted') return weightedRating(values, weights)
  return values[source]
}

/**
 * The labels of one session's windows, for training and for the Labels page: one window per report
 * time of any source (a source that did not rate it gives null), in signal time, with the chosen
 * source fused and the manual corrections in force applied on top.
 */
export function windowLabels(
  study: StudyStore,
  sessionId: number,
  options: WindowLabelOptions
): LabelledWindow[] {
  const session = study.getSession(sessionId)
  const windowMs = options.windowMs ?? REPORT_INTERVAL_MS
  const recording = recordingSpan(session)
  const active = options.corrections === false ? null : new RevisionStore(study.db).active(sessionId)
  const windows: LabelledWindow[] = []
  for (const group of reportGroups(study.db, sessionId)) {
    const span = windowOf(group.reportEndMs, session.alignmentOffsetMs, windowMs)
    const coverage = coverageOf(span, recording)
    if (!keepsWindow(coverage, options.edges ?? 'overlap')) continue
    const arousalCorrection = active?.arousal.get(group.reportEndMs)
    const valenceCorrection = active?.valence.get(group.reportEndMs)
    // undefined: no correction; null: corrected to "no label".
    const arousalCorrected = arousalCorrection !== undefined
    const valenceCorrected = valenceCorrection !== undefined
    const arousal = arousalCorrected
      ? arousalCorrection
      : fuse(group.arousal, options.source, options.weights)
    const valence = valenceCorrected
      ? valenceCorrection
      : fuse(group.valence, options.source, options.weights)
    windows.push({
      sessionId,
      startMs: span.startMs,
      endMs: span.endMs,
      arousal,
      valence,
      corrected:
        options.target === 'arousal'
          ? arousalCorrected
          : options.target === 'valence'
            ? valenceCorrected
            : arousalCorrected || valenceCorrected,
      reportEndMs: group.reportEndMs,
      coverage,
      arousalCorrected,
      valenceCorrected,
      sources: {
        self: { arousal: group.arousal.self, valence: group.valence.self },
        partner: { arousal: group.arousal.partner, valence: group.valence.partner },
        external: { arousal: group.arousal.external, valence: group.valence.external }
      }
    })
  }
  return windows
}

/** The window of a session whose report ends at `reportEndMs`, whatever the edge rule; NotFoundError if none. */
export function findWindow(
  study: StudyStore,
  sessionId: number,
  reportEndMs: number,
  options: WindowLabelOptions
): LabelledWindow {
  const found = windowLabels(study, sessionId, { ...options, edges: 'keep' }).find(
    (w) => w.reportEndMs === reportEndMs
  )
  if (!found)
    throw new NotFoundError(
      `session ${sessionId} has no report ending at ${reportEndMs} (report time)`,
      'reportEndMs'
    )
  return found
}
