import type { RatingSource } from '../ipc/contract/labels'
import { AnnotationStore, type Annotation } from '../store/annotation-store'
import type { Db } from '../store/study-file'
import { externalRating, mean, type SourceValues } from './fusion'

/** Every report that ends at one moment (report time), by source; external reports keep their rater. */
export interface ReportGroup {
  reportEndMs: number
  reports: Annotation[]
  arousal: SourceValues
  valence: SourceValues
}

const isRatingSource = (source: string): source is RatingSource =>
  source === 'self' || source === 'partner' || source === 'external'

function sourceValue(
  reports: Annotation[],
  source: RatingSource,
  target: 'arousal' | 'valence'
): number | null {
  const own = reports.filter((r) => r.source === source)
  if (source === 'external') {
    const aggregate = own.find((r) => r.rater === 'aggregate')?.[target]
    return externalRating(
      aggregate,
      own.filter((r) => r.rater !== 'aggregate').map((r) => r[target])
    )
  }
  // A source has one report per interval; a duplicate (two imports of the same file) is averaged, not doubled.
  return mean(own.flatMap((r) => (r[target] === null ? [] : [r[target]])))
}

/**
 * The session's self, partner and external reports grouped by the report's end. Regions drawn by hand on
 * the Annotate page (source 'manual') are not periodic reports and do not make windows.
 */
export function reportGroups(db: Db, sessionId: number): ReportGroup[] {
  const byEnd = new Map<number, Annotation[]>()
  for (const annotation of new AnnotationStore(db).listAnnotations(sessionId)) {
    if (!isRatingSource(annotation.source)) continue
    const list = byEnd.get(annotation.endMs) ?? []
    list.push(annotation)
    byEnd.set(annotation.endMs, list)
  }
  return [...byEnd.entries()]
    .sort(([a], [b]) => a - b)
    .map(([reportEndMs, reports]) => {
      const values = (target: 'arousal' | 'valence'): SourceValues => ({
        self: sourceValue(reports, 'self', target),
        partner: sourceValue(reports, 'partner', target),
        external: sourceValue(reports, 'external', target)
      })
      return { reportEndMs, reports, arousal: values('arousal'), valence: values('valence') }
    })
}
