import { existsSync, readdirSync } from 'node:fs'
import { ValidationError } from '../errors'
import type { KemoconExportSummary } from '../ipc/contract/datasets'
import { AnnotationStore, type Annotation } from '../store/annotation-store'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
import { e4StreamByName } from '../datasets/e4-streams'
import { ANNOTATION_COLUMNS } from '../datasets/kemocon/annotations'
import { DEBATE_END_LABEL, DEBATE_START_LABEL } from '../datasets/kemocon/kemocon-importer'
import {
  writeKemoconLayout,
  type AnnotationFileTag,
  type KemoconParticipantFiles
} from '../datasets/kemocon/kemocon-writer'

function tagOf(annotation: Annotation): AnnotationFileTag | undefined {
  if (annotation.source === 'self' || annotation.source === 'partner') return annotation.source
  if (annotation.source !== 'external') return undefined
  if (annotation.rater === 'aggregate') return 'external'
  return /^R\d+$/.test(annotation.rater) ? (annotation.rater as AnnotationFileTag) : undefined
}

/** The column order of a file: K-EmoCon's where it knows the names, then any others in the order first seen. */
function columnsOf(annotations: Annotation[]): string[] {
  const names = new Set<string>()
  for (const annotation of annotations) for (const name of Object.keys(annotation.emotions)) names.add(name)
  const known = ANNOTATION_COLUMNS.filter((name) => names.has(name))
  const others = [...names].filter((name) => !ANNOTATION_COLUMNS.includes(name))
  return ['seconds', 'arousal', 'valence', ...known, ...others]
}

/**
 * Writes a study back in the K-EmoCon layout (one session per participant; the participant code is the
 * pid), so that it can be shared or read by other K-EmoCon tools, and re-imported unchanged.
 */
export function exportKemocon(study: StudyStore, out: string): KemoconExportSummary {
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new ValidationError(`${out} is not empty: choose an empty or new folder`, 'out')
  const signals = new SignalStore(study.db)
  const annotationStore = new AnnotationStore(study.db)
  const skipped: string[] = []
  const participants: KemoconParticipantFiles[] = []
  const seen = new Set<string>()
  for (const session of study.listSessions()) {
    const pid = session.participantCode
    if (seen.has(pid)) {
      skipped.push(
        `session ${session.id} "${session.name}": participant ${pid} already has a session in the export`
      )
      continue
    }
    seen.add(pid)
    const markers = annotationStore.listMarkers(session.id)
    const annotations = annotationStore.listAnnotations(session.id)
    const startMarker = markers.find((marker) => marker.label === DEBATE_START_LABEL)
    const endMarker = markers.find((marker) => marker.label === DEBATE_END_LABEL)
    const debateStartMs =
      startMarker?.timeMs ?? (annotations.length > 0 ? Math.min(...annotations.map((a) => a.startMs)) : null)
    const streams: KemoconParticipantFiles['streams'] = []
    for (const info of session.streams) {
      const kind = e4StreamByName(info.name)
      if (!kind || kind.channels.length !== info.channels.length) {
        skipped.push(`session ${session.id}: stream "${info.name}" has no K-EmoCon file`)
        continue
      }
      const data = signals.read(info.id)
      streams.push({ kind, times: data.times, samples: data.samples })
    }
    const byTag = new Map<AnnotationFileTag, Annotation[]>()
    for (const annotation of annotations) {
      const tag = tagOf(annotation)
      if (!tag || debateStartMs === null) continue
      byTag.set(tag, [...(byTag.get(tag) ?? []), annotation])
    }
    participants.push({
      pid,
      initMs: session.startMs,
      startMs: debateStartMs,
      endMs: endMarker?.timeMs ?? null,
      deviceSerial: '',
      streams,
      annotations: [...byTag.entries()].map(([tag, list]) => ({
        tag,
        columns: columnsOf(list),
        rows: list
          .sort((a, b) => a.endMs - b.endMs)
          .map((a) => ({
            seconds: (a.endMs - debateStartMs!) / 1000,
            arousal: a.arousal,
            valence: a.valence,
            ...a.emotions
          }))
      }))
    })
  }
  writeKemoconLayout(out, participants)
  const files = participants.reduce((sum, p) => sum + p.streams.length + p.annotations.length, 2)
  return { out, participants: participants.map((p) => p.pid), files, skipped }
}

export type { KemoconExportSummary }
