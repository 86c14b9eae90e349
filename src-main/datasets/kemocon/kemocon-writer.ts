import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { E4StreamKind } from '../e4-streams'
import { ANNOTATION_COLUMNS } from './annotations'

/** Which annotation file: self, partner, an external rater (R1..R5) or the aggregated external one. */
export type AnnotationFileTag = 'self' | 'partner' | 'external' | `R${number}`

export interface KemoconParticipantFiles {
  pid: string
  initMs: number | null
  startMs: number | null
  endMs: number | null
  deviceSerial: string
  streams: { kind: E4StreamKind; times: Float64Array; samples: Float32Array }[]
  annotations: { tag: AnnotationFileTag; columns: string[]; rows: Record<string, number | null>[] }[]
}

/**
 * The shortest text that reads back as the same float32 (what the study stores), preferring the fixed
 * number of decimals E4 files use, so exported files look like the originals.
 */
export function float32Text(value: number, decimals: number): string {
  const fixed = value.toFixed(decimals)
  if (Math.fround(Number(fixed)) === value) return decimals > 0 ? fixed : String(Number(fixed))
  for (let precision = 1; precision <= 9; precision++) {
    const text = String(Number(value.toPrecision(precision)))
    if (Math.fround(Number(text)) === value) return text
  }
  return String(value)
}

function annotationFolderAndName(pid: string, tag: AnnotationFileTag): [string, string] {
  if (tag === 'self') return ['self_annotations', `P${pid}.self.csv`]
  if (tag === 'partner') return ['partner_annotations', `P${pid}.partner.csv`]
  if (tag === 'external') return ['aggregated_external_annotations', `P${pid}.external.csv`]
  return ['external_annotations', `P${pid}.${tag}.csv`]
}

function timeText(ms: number | null): string {
  return ms === null ? '' : String(ms)
}

function streamFile(stream: KemoconParticipantFiles['streams'][number], serial: string): string {
  const { kind, times, samples } = stream
  const channels = kind.channels.length
  const lines = [`timestamp,${kind.kemoconColumns.join(',')},device_serial`]
  for (let i = 0; i < times.length; i++) {
    let line = String(times[i])
    for (let c = 0; c < channels; c++) line += `,${float32Text(samples[i * channels + c], kind.decimals)}`
    lines.push(`${line},${serial}`)
  }
  return `${lines.join('\n')}\n`
}

/** Writes participants in the K-EmoCon layout as distributed (metadata, e4_data, emotion_annotations). */
export function writeKemoconLayout(dir: string, participants: KemoconParticipantFiles[]): void {
  const metadata = join(dir, 'metadata')
  mkdirSync(metadata, { recursive: true })
  const subjects = ['pid,initTime,startTime,endTime']
  const availabilityColumns = [
    'E4_ACC',
    'E4_BVP',
    'E4_EDA',
    'E4_HR',
    'E4_IBI',
    'E4_TEMP',
    'self_annotations',
    'partner_annotations',
    'external_annotations'
  ]
  const availability = [`pid,${availabilityColumns.join(',')}`]
  for (const participant of participants) {
    subjects.push(
      `${participant.pid},${timeText(participant.initMs)},${timeText(participant.startMs)},${timeText(participant.endMs)}`
    )
    const present = new Set(participant.streams.map((stream) => `E4_${stream.kind.stem}`))
    for (const annotation of participant.annotations) {
      const tag = annotation.tag === 'self' || annotation.tag === 'partner' ? annotation.tag : 'external'
      present.add(`${tag}_annotations`)
    }
    availability.push(
      `${participant.pid},${availabilityColumns.map((column) => (present.has(column) ? 1 : 0)).join(',')}`
    )

    const e4 = join(dir, 'e4_data', participant.pid)
    mkdirSync(e4, { recursive: true })
    for (const stream of participant.streams) {
      writeFileSync(join(e4, `E4_${stream.kind.stem}.csv`), streamFile(stream, participant.deviceSerial))
    }
    for (const annotation of participant.annotations) {
      const [folder, name] = annotationFolderAndName(participant.pid, annotation.tag)
      const target = join(dir, 'emotion_annotations', folder)
      mkdirSync(target, { recursive: true })
      const columns = annotation.columns.length > 0 ? annotation.columns : ANNOTATION_COLUMNS
      const lines = [columns.join(',')]
      for (const row of annotation.rows) {
        lines.push(
          columns
            .map((column) => (row[column] === null || row[column] === undefined ? 'x' : String(row[column])))
            .join(',')
        )
      }
      writeFileSync(join(target, name), `${lines.join('\n')}\n`)
    }
  }
  writeFileSync(join(metadata, 'subjects.csv'), `${subjects.join('\n')}\n`)
  writeFileSync(join(metadata, 'data_availability.csv'), `${availability.join('\n')}\n`)
}
