import type {
  AnnotationCounts,
  ImportReport,
  ParticipantReport,
  StreamReport
} from '../ipc/contract/datasets'
import type { ImportedSession, ImportedStream, ImportPlan } from '../store/import-writer'

export type {
  AnnotationCounts,
  ImportReport,
  ParticipantReport,
  StreamReport
} from '../ipc/contract/datasets'

export function emptyAnnotationCounts(): AnnotationCounts {
  return { self: 0, partner: 0, external: {}, aggregate: 0 }
}

/** A planned session with the counts that the report's totals add up. */
export type CountedSession = ImportedSession & { annotationCount: number; markerCount: number }

/** The report of one participant's session, filled in as its files are read. */
export function participantReport(
  participant: string,
  sessionName: string | null,
  problems: string[] = []
): ParticipantReport {
  return { participant, sessionName, streams: [], annotations: emptyAnnotationCounts(), problems }
}

/** Takes a stream that was read into the session and its report, with a warning where its rate is off. */
export function addStream(
  report: ParticipantReport,
  streams: ImportedStream[],
  stream: ImportedStream,
  info: StreamReport
): void {
  streams.push(stream)
  report.streams.push(info)
  const rate = rateProblem(info)
  if (rate) report.problems.push(rate)
}

/** The import plan and its report, once every participant is read. */
export function importPlan(plan: {
  kind: ImportReport['kind']
  source: string
  contentHash: string
  sessions: CountedSession[]
  participants: ParticipantReport[]
  problems: string[]
  participantCount: number
}): ImportPlan & { report: ImportReport } {
  const { kind, source, contentHash, sessions, participants, problems, participantCount } = plan
  const report: ImportReport = {
    kind,
    source,
    contentHash,
    participants,
    problems,
    totals: totalsOf(sessions, participantCount)
  }
  return { kind, sourcePath: source, contentHash, sessions, report }
}

export function measuredRate(times: Float64Array): number {
  const n = times.length
  if (n < 2) return 0
  const spanS = (times[n - 1] - times[0]) / 1000
  return spanS > 0 ? (n - 1) / spanS : 0
}

export function streamReport(
  stream: ImportedStream,
  file: string,
  counts: { duplicatesRemoved: number; outOfOrderRows: number; missingValues: number }
): StreamReport {
  const n = stream.times.length
  return {
    name: stream.name,
    file,
    samples: n,
    durationS: n > 1 ? round((stream.times[n - 1] - stream.times[0]) / 1000, 3) : 0,
    nominalHz: stream.rateHz,
    measuredHz: round(measuredRate(stream.times), 4),
    ...counts
  }
}

/** Warns where the measured rate is off the nominal one by more than 2% (a gap, a wrong unit, a wrong file). */
export function rateProblem(report: StreamReport): string | undefined {
  if (report.nominalHz <= 0 || report.samples < 10) return undefined
  const ratio = report.measuredHz / report.nominalHz
  if (Math.abs(ratio - 1) <= 0.02) return undefined
  return `${report.file}: measured ${report.measuredHz} Hz against a nominal ${report.nominalHz} Hz (gaps or a wrong rate)`
}

export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals
  return Math.round(value * scale) / scale
}

export function totalsOf(
  participants: { streams: ImportedStream[]; annotationCount: number; markerCount: number }[],
  participantCount: number
): ImportReport['totals'] {
  let streams = 0
  let samples = 0
  let annotations = 0
  let markers = 0
  for (const session of participants) {
    streams += session.streams.length
    for (const stream of session.streams) samples += stream.times.length
    annotations += session.annotationCount
    markers += session.markerCount
  }
  return {
    participants: participantCount,
    sessions: participants.length,
    streams,
    samples,
    annotations,
    markers
  }
}
