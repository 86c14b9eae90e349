import { windowLabels } from '../../labels/window-labels'
import type { StudyStore } from '../../store/study-store'
import type { LabelledWindow, LabelSource, Target } from './types'

/**
 * Labels of one session for training: the labels module's windows (fused source, manual corrections
 * applied, signal time). The one place the engine reads labels.
 */
export function sessionLabels(
  study: StudyStore,
  sessionId: number,
  source: LabelSource,
  target: Target,
  windowMs: number
): LabelledWindow[] {
  return windowLabels(study, sessionId, { source, target, windowMs })
}
