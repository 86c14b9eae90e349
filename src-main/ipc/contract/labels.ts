import { z } from 'zod'
import { defineCall } from './define'

const id = z.number().int().positive()

export const LABEL_SOURCES = ['self', 'partner', 'external', 'majority', 'weighted'] as const
export type LabelSource = (typeof LABEL_SOURCES)[number]
/** The sources that people report; majority and weighted are fused from them. */
export const RATING_SOURCES = ['self', 'partner', 'external'] as const
export type RatingSource = (typeof RATING_SOURCES)[number]
export type LabelTarget = 'arousal' | 'valence'

export type SourceWeights = Record<RatingSource, number>

/** One rated span of a session, in signal time (report time + the session's alignment offset). */
export interface LabelledWindow {
  sessionId: number
  startMs: number
  endMs: number
  arousal: number | null
  valence: number | null
  /** A manual correction is applied to the target asked for (to either target when none was asked for). */
  corrected: boolean
  /** End of the report this window comes from, in report time: the key corrections are stored under. */
  reportEndMs: number
  /** Fraction of the window inside the recording, or null where the recording's extent is unknown. */
  coverage: number | null
  arousalCorrected: boolean
  valenceCorrected: boolean
  /** Each reporting source's own rating before fusion and correction (external: see window-labels.ts). */
  sources: Record<RatingSource, { arousal: number | null; valence: number | null }>
}

/**
 * Physiological features of one window, in this order (src-main/signal/window-features.ts says how each is
 * computed and when it is null). `column` is the CSV header (unit in the name), `title` the table's.
 */
export const WINDOW_FEATURES = [
  { key: 'edaTonicMean', column: 'eda_tonic_mean_us', title: 'Tonic µS', stream: 'eda' },
  { key: 'edaTonicSlope', column: 'eda_tonic_slope_us_per_min', title: 'Tonic µS/min', stream: 'eda' },
  { key: 'scrCount', column: 'scr_count', title: 'SCRs', stream: 'eda' },
  { key: 'scrAmplitude', column: 'scr_amplitude_mean_us', title: 'SCR amp µS', stream: 'eda' },
  { key: 'hrMean', column: 'hr_mean_bpm', title: 'HR bpm', stream: 'bvp' },
  { key: 'meanNN', column: 'hrv_mean_nn_ms', title: 'MeanNN ms', stream: 'bvp' },
  { key: 'sdnn', column: 'hrv_sdnn_ms', title: 'SDNN ms', stream: 'bvp' },
  { key: 'rmssd', column: 'hrv_rmssd_ms', title: 'RMSSD ms', stream: 'bvp' },
  { key: 'pnn50', column: 'hrv_pnn50_percent', title: 'pNN50 %', stream: 'bvp' },
  { key: 'tempMean', column: 'temp_mean_c', title: 'TEMP °C', stream: 'temp' },
  { key: 'tempSlope', column: 'temp_slope_c_per_min', title: 'TEMP °C/min', stream: 'temp' },
  { key: 'accMagnitude', column: 'acc_magnitude_mean', title: 'ACC |a|', stream: 'acc' },
  { key: 'accEnergy', column: 'acc_energy', title: 'ACC energy', stream: 'acc' },
  { key: 'motionFraction', column: 'acc_motion_fraction', title: 'Motion', stream: 'acc' }
] as const
export type WindowFeatureKey = (typeof WINDOW_FEATURES)[number]['key']
/** null: not computable for this window (no stream, a gap, too few beats; see window-features.ts). */
export type WindowFeatures = Record<WindowFeatureKey, number | null>

/** One row of the Labels page's window table: the window plus the chosen target's label and class. */
export interface WindowRow extends LabelledWindow {
  /** The training label of the chosen target (fused, then corrected). */
  label: number | null
  /** 1 when label > threshold, 0 when not, null when there is no label. */
  labelClass: 0 | 1 | null
  features: WindowFeatures
}

export interface ClassBalance {
  low: number
  high: number
  unlabelled: number
  /** high / (low + high), or null without labelled windows. */
  highFraction: number | null
}

export interface WindowTable {
  sessionId: number
  source: LabelSource
  target: LabelTarget
  threshold: number
  offsetMs: number
  rows: WindowRow[]
  balance: ClassBalance
  /** Why a stream's features are null throughout (absent, rate too low, too short), one line per stream. */
  featureNotes: string[]
}

export interface LabelRevision {
  id: number
  sessionId: number
  target: LabelTarget
  /** Report time of the corrected window's end. */
  windowEndMs: number
  oldValue: number | null
  newValue: number | null
  reason: string
  createdMs: number
  revertedMs: number | null
  revertReason: string | null
}

export interface PairAgreement {
  first: RatingSource
  second: RatingSource
  /** Windows both sources rated. */
  count: number
  kappa: number | null
  quadraticKappa: number | null
}

export interface TargetAgreement {
  pairs: PairAgreement[]
  /** Krippendorff's alpha, ordinal metric, self/partner/external as the three coders. */
  alpha: number | null
  /** Windows with at least two sources' ratings (the units alpha counts). */
  units: number
}

export interface AgreementReport {
  sessionCount: number
  windowCount: number
  arousal: TargetAgreement
  valence: TargetAgreement
}

export interface LabelAgreement {
  session: AgreementReport | null
  study: AgreementReport
}

export type ExportFormat = 'kemocon' | 'windows'

export interface LabelExport {
  format: ExportFormat
  fileName: string
  csv: string
  rowCount: number
  /** Where it was written, when a path was given. */
  path: string | null
}

const rating = z.number().min(1).max(5)
const target = z.enum(['arousal', 'valence'])
const reason = z.string().trim().min(1, 'a reason is required').max(2000)
export const labelSource = z.enum(LABEL_SOURCES)
export const sourceWeights = z
  .object({
    self: z.number().nonnegative(),
    partner: z.number().nonnegative(),
    external: z.number().nonnegative()
  })
  .refine((w) => w.self + w.partner + w.external > 0, { message: 'at least one weight must be above 0' })
export const threshold = z.number().min(1).max(5)

const labelChoice = {
  sessionId: id,
  source: labelSource.default('external'),
  weights: sourceWeights.optional(),
  target: target.default('arousal'),
  threshold: threshold.default(2)
}

export const labelCalls = {
  'labels.windows': defineCall<WindowTable>()(z.object(labelChoice)),
  'labels.correct': defineCall<LabelRevision>()(
    z.object({
      sessionId: id,
      target,
      reportEndMs: z.number().finite(),
      value: rating.nullable(),
      reason,
      source: labelSource.default('external'),
      weights: sourceWeights.optional()
    })
  ),
  'labels.revert': defineCall<LabelRevision>()(z.object({ revisionId: id, reason })),
  'labels.revisions': defineCall<LabelRevision[]>()(z.object({ sessionId: id })),
  'labels.agreement': defineCall<LabelAgreement>()(z.object({ sessionId: id.optional() })),
  'labels.export': defineCall<LabelExport>()(
    z.object({
      ...labelChoice,
      format: z.enum(['kemocon', 'windows']),
      path: z.string().min(1).optional()
    })
  )
}
