import type {
  AgreementReport,
  LabelAgreement,
  LabelTarget,
  PairAgreement,
  RatingSource,
  TargetAgreement
} from '../ipc/contract/labels'
import type { StudyStore } from '../store/study-store'
import { cohenKappa, krippendorffOrdinalAlpha, quadraticKappa } from './agreement'
import { roundRating, type SourceValues } from './fusion'
import { reportGroups } from './reports'

const PAIRS: [RatingSource, RatingSource][] = [
  ['self', 'partner'],
  ['self', 'external'],
  ['partner', 'external']
]

/**
 * Agreement of the sources' own ratings (before fusion and corrections). Kappa and alpha need whole
 * categories, so the external raters' mean is rounded half up to a whole rating, as in the majority rule.
 */
function targetAgreement(windows: readonly SourceValues[]): TargetAgreement {
  const rounded = windows.map((w) => ({
    self: w.self === null ? null : roundRating(w.self),
    partner: w.partner === null ? null : roundRating(w.partner),
    external: w.external === null ? null : roundRating(w.external)
  }))
  const pairs: PairAgreement[] = PAIRS.map(([first, second]) => {
    const both = rounded.flatMap((w) =>
      w[first] !== null && w[second] !== null ? [[w[first], w[second]] as const] : []
    )
    return {
      first,
      second,
      count: both.length,
      kappa: cohenKappa(both),
      quadraticKappa: quadraticKappa(both)
    }
  })
  const units = rounded.map((w) => [w.self, w.partner, w.external].filter((v): v is number => v !== null))
  return { pairs, alpha: krippendorffOrdinalAlpha(units), units: units.filter((u) => u.length >= 2).length }
}

function report(study: StudyStore, sessionIds: number[]): AgreementReport {
  const values: Record<LabelTarget, SourceValues[]> = { arousal: [], valence: [] }
  for (const sessionId of sessionIds) {
    for (const group of reportGroups(study.db, sessionId)) {
      values.arousal.push(group.arousal)
      values.valence.push(group.valence)
    }
  }
  return {
    sessionCount: sessionIds.length,
    windowCount: values.arousal.length,
    arousal: targetAgreement(values.arousal),
    valence: targetAgreement(values.valence)
  }
}

/** Per session (when one is given) and over the whole study, pooling every session's windows. */
export function labelAgreement(study: StudyStore, sessionId?: number): LabelAgreement {
  const session = sessionId === undefined ? null : report(study, [study.getSession(sessionId).id])
  return {
    session,
    study: report(
      study,
      study.listSessions().map((s) => s.id)
    )
  }
}
