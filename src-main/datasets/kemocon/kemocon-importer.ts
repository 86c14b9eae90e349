import { join } from 'node:path'
import type { ImportedSession, ImportedStream, ImportPlan } from '../../store/import-writer'
import type { NewAnnotation } from '../../store/annotation-store'
import { readNamedColumns } from '../csv-reader'
import { E4_STREAMS, type E4StreamKind } from '../e4-streams'
import {
  addStream,
  importPlan,
  participantReport,
  streamReport,
  type CountedSession,
  type ImportReport,
  type ParticipantReport
} from '../import-report'
import { renderToken } from '../safe-text'
import { SourceFiles } from '../source-files'
import { checkTime, gapProblem, screenRange } from '../limits'
import { tidySeries, timesAreSeconds } from '../time-series'
import { annotationFileKind, readAnnotationFile } from './annotations'
import { descend, findKemoconLayout, listFiles, listSubfolders } from './layout'
import { normalisePid, readAvailability, readSubjects, type Subject } from './metadata'

export const KEMOCON_TIMEZONE = 'Asia/Seoul'
export const DEBATE_START_LABEL = 'debate start'
export const DEBATE_END_LABEL = 'debate end'

const ANNOTATION_FOLDERS = [
  'self_annotations',
  'partner_annotations',
  'external_annotations',
  'aggregated_external_annotations'
]

/** Availability columns of data_availability.csv that name an E4 file. */
const AVAILABILITY_PREFIX = 'E4_'

function readE4File(
  sources: SourceFiles,
  path: string,
  file: string,
  pid: string,
  kind: E4StreamKind
): {
  stream: ImportedStream
  report: ReturnType<typeof streamReport>
  wasSeconds: boolean
  gaps: string | undefined
} {
  const buffer = sources.read(path, `e4/${pid}/${kind.stem}`)
  const table = readNamedColumns(buffer, file, ['timestamp', ...kind.kemoconColumns], { allowMissing: true })
  const [times, ...values] = table.columns
  const wasSeconds = timesAreSeconds(times)
  const scale = wasSeconds ? 1000 : 1
  for (let i = 0; i < table.rowCount; i++) {
    // An empty timestamp is a missing cell, dropped and counted like any other.
    if (!Number.isNaN(times[i])) checkTime(times[i] * scale, file, table.lines[i], 'timestamp', times[i])
  }
  const range = { ...kind.range, unit: kind.unit }
  const screen = screenRange(values, table.lines, range, file)
  const tidy = tidySeries(times, values, { toMs: wasSeconds, drop: screen.drop })
  const stream: ImportedStream = {
    name: kind.name,
    unit: kind.unit,
    rateHz: kind.rateHz,
    channels: kind.channels,
    times: tidy.times,
    samples: tidy.samples
  }
  const report = streamReport(stream, file, {
    duplicatesRemoved: tidy.duplicatesRemoved,
    outOfOrderRows: tidy.outOfOrderRows,
    missingValues: tidy.missingValues
  })
  return {
    stream,
    report,
    wasSeconds,
    gaps: screen.dropped > 0 ? gapProblem(file, screen, range) : undefined
  }
}

interface ParticipantSources {
  e4Folder?: string
  annotationFiles: { path: string; file: string; kind: ReturnType<typeof annotationFileKind> & object }[]
}

function collectAnnotationFiles(
  annotationsDir: string | undefined,
  notes: string[]
): Map<string, ParticipantSources['annotationFiles']> {
  const byPid = new Map<string, ParticipantSources['annotationFiles']>()
  if (!annotationsDir) return byPid
  for (const folder of ANNOTATION_FOLDERS) {
    const dir = descend(annotationsDir, folder, notes)
    if (!dir) continue
    for (const name of listFiles(dir).sort()) {
      const kind = annotationFileKind(name)
      if (!kind) {
        if (name.toLowerCase().endsWith('.csv'))
          notes.push(`${dir}/${renderToken(name)}: not an annotation file name, skipped`)
        continue
      }
      const list = byPid.get(kind.pid) ?? []
      list.push({ path: join(dir, name), file: `emotion_annotations/${folder}/${name}`, kind })
      byPid.set(kind.pid, list)
    }
  }
  return byPid
}

function comparePids(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b)
}

/**
 * Reads a K-EmoCon copy into an import plan: everything is parsed and checked here, before the study is
 * touched. What is missing or odd is imported as far as it goes and listed in the report.
 */
export function planKemoconImport(
  dir: string,
  progress: (line: string) => void = () => {}
): ImportPlan & { report: ImportReport } {
  const layout = findKemoconLayout(dir)
  const problems = [...layout.notes]
  const sources = new SourceFiles()

  let subjects = new Map<string, Subject>()
  let availability = new Map<string, Set<string>>()
  if (layout.metadata) {
    const subjectsPath = join(layout.metadata, 'subjects.csv')
    if (listFiles(layout.metadata).includes('subjects.csv')) {
      subjects = new Map(
        readSubjects(sources.read(subjectsPath, 'metadata/subjects'), 'metadata/subjects.csv').map((s) => [
          s.pid,
          s
        ])
      )
    } else
      problems.push('metadata/subjects.csv is missing: debate times unknown, annotations cannot be placed')
    if (listFiles(layout.metadata).includes('data_availability.csv')) {
      availability = readAvailability(
        sources.read(join(layout.metadata, 'data_availability.csv'), 'metadata/data_availability'),
        'metadata/data_availability.csv'
      )
    }
  } else problems.push('no metadata folder: debate times unknown, annotations cannot be placed')

  const e4Folders = new Map<string, string>()
  if (layout.e4Data) {
    for (const name of listSubfolders(layout.e4Data)) {
      const pid = normalisePid(name)
      if (pid) e4Folders.set(pid, join(layout.e4Data, name))
      else problems.push(`e4_data/${renderToken(name)}: not a participant folder, skipped`)
    }
  } else problems.push('no e4_data folder: no signals imported')
  const annotationFiles = collectAnnotationFiles(layout.annotations, problems)

  const pids = [...new Set([...subjects.keys(), ...e4Folders.keys(), ...annotationFiles.keys()])].sort(
    comparePids
  )
  const sessions: CountedSession[] = []
  const participants: ParticipantReport[] = []

  for (const pid of pids) {
    progress(`participant ${pid}`)
    const report = participantReport(pid, null)
    participants.push(report)
    const subject = subjects.get(pid)
    if (!subject) report.problems.push('no row in metadata/subjects.csv: debate times unknown')

    const streams: ImportedStream[] = []
    const folder = e4Folders.get(pid)
    if (folder) {
      const files = listFiles(folder)
      for (const kind of E4_STREAMS) {
        const fileName = files.find((name) => name.toLowerCase() === `e4_${kind.stem.toLowerCase()}.csv`)
        const file = `e4_data/${pid}/E4_${kind.stem}.csv`
        if (!fileName) {
          report.problems.push(`${file} is missing`)
          continue
        }
        const read = readE4File(sources, join(folder, fileName), file, pid, kind)
        if (read.stream.times.length === 0) {
          report.problems.push(`${file} has no samples`)
          continue
        }
        if (read.wasSeconds) report.problems.push(`${file}: timestamps in seconds, converted to ms`)
        if (read.report.duplicatesRemoved > 0) {
          report.problems.push(`${file}: ${read.report.duplicatesRemoved} repeated timestamps removed`)
        }
        if (read.report.outOfOrderRows > 0)
          report.problems.push(`${file}: ${read.report.outOfOrderRows} rows out of order, sorted`)
        if (read.report.missingValues > 0)
          report.problems.push(`${file}: ${read.report.missingValues} rows with a missing value dropped`)
        if (read.gaps) report.problems.push(read.gaps)
        addStream(report, streams, read.stream, read.report)
      }
    } else report.problems.push(`no e4_data/${pid} folder: no signals`)

    const listed = availability.get(pid)
    if (listed) {
      for (const kind of E4_STREAMS) {
        const marked = listed.has(`${AVAILABILITY_PREFIX}${kind.stem}`)
        const found = streams.some((stream) => stream.name === kind.name)
        if (marked && !found)
          report.problems.push(`data_availability.csv lists E4_${kind.stem} but it was not found`)
      }
    }

    const annotations: NewAnnotation[] = []
    const files = annotationFiles.get(pid) ?? []
    if (files.length > 0 && subject?.startMs == null) {
      report.problems.push(`${files.length} annotation files skipped: no debate startTime to place them`)
    } else {
      for (const entry of files) {
        const buffer = sources.read(entry.path, `annotations/${entry.file.split('/').pop()}`)
        const parsed = readAnnotationFile(buffer, entry.file, entry.kind.kind, subject!.startMs!)
        annotations.push(...parsed.annotations)
        report.problems.push(...parsed.problems)
        if (parsed.missingCells > 0)
          report.problems.push(`${entry.file}: ${parsed.missingCells} missing cells ("x" or empty)`)
        const counts = report.annotations
        const { source, rater } = entry.kind.kind
        if (source === 'self') counts.self += parsed.annotations.length
        else if (source === 'partner') counts.partner += parsed.annotations.length
        else if (rater === 'aggregate') counts.aggregate += parsed.annotations.length
        else counts.external[rater] = (counts.external[rater] ?? 0) + parsed.annotations.length
      }
      if (!files.some((f) => f.kind.kind.source === 'self')) report.problems.push('no self annotations')
    }

    if (streams.length === 0 && annotations.length === 0) {
      report.problems.push('nothing to import for this participant')
      continue
    }
    const firstSample = streams.length > 0 ? Math.min(...streams.map((s) => s.times[0])) : Infinity
    const lastSample =
      streams.length > 0 ? Math.max(...streams.map((s) => s.times[s.times.length - 1])) : -Infinity
    const startMs = Math.floor(
      Math.min(firstSample, subject?.initMs ?? Infinity, subject?.startMs ?? Infinity)
    )
    const endMs = Math.max(lastSample, subject?.endMs ?? -Infinity)
    const markers: ImportedSession['markers'] = []
    if (subject?.startMs != null)
      markers.push({ timeMs: subject.startMs, label: DEBATE_START_LABEL, source: 'kemocon' })
    if (subject?.endMs != null)
      markers.push({ timeMs: subject.endMs, label: DEBATE_END_LABEL, source: 'kemocon' })
    const name = `K-EmoCon P${pid}`
    report.sessionName = name
    sessions.push({
      participantCode: pid,
      name,
      startMs,
      timezone: KEMOCON_TIMEZONE,
      durationMs: Number.isFinite(endMs) ? Math.round(endMs - startMs) : null,
      notes: subject?.initMs != null ? `initTime ${subject.initMs}` : '',
      streams,
      markers,
      annotations,
      annotationCount: annotations.length,
      markerCount: markers.length
    })
  }

  return importPlan({
    kind: 'kemocon',
    source: dir,
    contentHash: sources.contentHash('kemocon'),
    sessions,
    participants,
    problems,
    participantCount: participants.length
  })
}
