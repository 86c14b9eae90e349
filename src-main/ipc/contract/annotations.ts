import { z } from 'zod'
import { defineCall } from './define'
import { id, type Session } from './studies'

export type AnnotationSource = 'self' | 'partner' | 'external' | 'manual'

export interface Annotation {
  id: number
  sessionId: number
  source: AnnotationSource
  /** Which rater of the source (e.g. R1..R5 for external raters, 'aggregate' for their mean); '' where there is one. */
  rater: string
  startMs: number
  endMs: number
  arousal: number | null
  valence: number | null
  emotions: Record<string, number | null>
  note: string
}

export interface Marker {
  id: number
  sessionId: number
  timeMs: number
  label: string
  source: string
}

/** The categorical emotions offered when annotating by hand (K-EmoCon's own list, first part). */
export const ANNOTATION_EMOTIONS = [
  'cheerful',
  'happy',
  'angry',
  'nervous',
  'sad',
  'boredom',
  'confusion',
  'delight',
  'concentration',
  'frustration',
  'surprise'
] as const

const rating = z.number().min(1, 'ratings run from 1 to 5').max(5, 'ratings run from 1 to 5').nullable()
const time = z.number().finite()

const annotationFields = z.object({
  startMs: time,
  endMs: time,
  arousal: rating.default(null),
  valence: rating.default(null),
  emotions: z.record(z.string().min(1).max(64), z.number().min(0).max(5).nullable()).default({}),
  note: z.string().trim().max(4000).default('')
})

const ordered = <T extends { startMs: number; endMs: number }>(value: T): boolean =>
  value.endMs >= value.startMs
const orderMessage = { message: 'endMs is before startMs', path: ['endMs'] }

const markerFields = z.object({ timeMs: time, label: z.string().trim().max(200).default('') })

export const annotationCalls = {
  'annotations.list': defineCall<Annotation[]>()(
    z.object({ sessionId: id, source: z.enum(['self', 'partner', 'external', 'manual']).optional() })
  ),
  /** Creates a hand-made region (source 'manual'). */
  'annotations.create': defineCall<Annotation>()(
    annotationFields.extend({ sessionId: id }).refine(ordered, orderMessage)
  ),
  'annotations.update': defineCall<Annotation>()(
    annotationFields.extend({ id }).refine(ordered, orderMessage)
  ),
  'annotations.delete': defineCall<{ deleted: number }>()(z.object({ id })),
  'markers.list': defineCall<Marker[]>()(z.object({ sessionId: id })),
  'markers.create': defineCall<Marker>()(markerFields.extend({ sessionId: id })),
  'markers.update': defineCall<Marker>()(markerFields.extend({ id })),
  'markers.delete': defineCall<{ deleted: number }>()(z.object({ id })),
  /** Shift of the report timeline against the signals: a report window [s, e] is drawn at [s + offset, e + offset]. */
  'sessions.setAlignmentOffset': defineCall<Session>()(
    z.object({ id, offsetMs: z.number().finite().min(-3_600_000).max(3_600_000) })
  )
}
