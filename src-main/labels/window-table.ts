import type {
  ClassBalance,
  LabelRevision,
  LabelSource,
  LabelTarget,
  SourceWeights,
  WindowTable
} from '../ipc/contract/labels'
import { sessionWindowFeatures, type SessionFeatureCache } from '../signal/session-features'
import type { StudyStore } from '../store/study-store'
import { binaryClass } from './fusion'
import { RevisionStore } from './revision-store'
import { findWindow, windowLabels } from './window-labels'

export interface LabelChoice {
  sessionId: number
  source: LabelSource
  target: LabelTarget
  threshold: number
  weights?: SourceWeights
}

export function classBalance(classes: readonly (0 | 1 | null)[]): ClassBalance {
  const low = classes.filter((c) => c === 0).length
  const high = classes.filter((c) => c === 1).length
  return {
    low,
    high,
    unlabelled: classes.length - low - high,
    highFraction: low + high ? high / (low + high) : null
  }
}

/**
 * The Labels page's table: every window (edges kept, so a window can be seen and fixed) with the target's label
 * and class, and its physiological features.
 */
export function windowTable(
  study: StudyStore,
  choice: LabelChoice,
  features?: SessionFeatureCache
): WindowTable {
  const windows = windowLabels(study, choice.sessionId, {
    source: choice.source,
    target: choice.target,
    weights: choice.weights,
    edges: 'keep'
  })
  const computed = sessionWindowFeatures(study, choice.sessionId, windows, features)
  const rows = windows.map((window, i) => {
    const label = window[choice.target]
    return {
      ...window,
      label,
      labelClass: binaryClass(label, choice.threshold),
      features: computed.features[i]
    }
  })
  return {
    sessionId: choice.sessionId,
    source: choice.source,
    target: choice.target,
    threshold: choice.threshold,
    offsetMs: study.getSession(choice.sessionId).alignmentOffsetMs,
    rows,
    balance: classBalance(rows.map((r) => r.labelClass)),
    featureNotes: computed.notes
  }
}

/**
 * Corrects the label of one window by hand. The old value recorded is the label in force when the
 * correction was made: the previous correction's value, or else the label fused from `source`.
 */
export function correctLabel(
  study: StudyStore,
  input: {
    sessionId: number
    target: LabelTarget
    reportEndMs: number
    value: number | null
    reason: string
    source: LabelSource
    weights?: SourceWeights
  }
): LabelRevision {
  const window = findWindow(study, input.sessionId, input.reportEndMs, {
    source: input.source,
    weights: input.weights
  })
  return new RevisionStore(study.db).add({
    sessionId: input.sessionId,
    target: input.target,
    windowEndMs: input.reportEndMs,
    oldValue: window[input.target],
    newValue: input.value,
    reason: input.reason
  })
}
