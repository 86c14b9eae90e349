import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { FileFormatError, NotFoundError, ValidationError } from '../../errors'
import type { ImportedStream, ImportPlan } from '../../store/import-writer'
import { E4_STREAMS } from '../e4-streams'
import {
  addStream,
  importPlan,
  participantReport,
  streamReport,
  type CountedSession,
  type ImportReport,
  type ParticipantReport
} from '../import-report'
import { withLineFeeds } from '../csv-reader'
import { renderToken } from '../safe-text'
import { SourceFiles } from '../source-files'
import { readE4IbiFile, readE4SignalFile, readE4Tags } from './e4-connect'
import { readZipEntries } from './zip-entries'

/** One E4 Connect session: its name and a way to get each file's bytes by its name (ACC.csv, ...). */
interface SessionSource {
  name: string
  /** Where it came from, for messages. */
  label: string
  files: Map<string, () => Uint8Array>
}

const SIGNAL_FILES = ['ACC.csv', 'BVP.csv', 'EDA.csv', 'HR.csv', 'TEMP.csv', 'IBI.csv']
/** The entries an import reads, by upper-case name; others (info.txt) may repeat harmlessly. */
const READ_FILES = new Set([...SIGNAL_FILES, 'tags.csv'].map((name) => name.toUpperCase()))

function isSessionFolder(dir: string): boolean {
  const names = readdirSync(dir).map((name) => name.toUpperCase())
  return SIGNAL_FILES.some((file) => names.includes(file.toUpperCase()))
}

function folderSession(dir: string, sources: SourceFiles): SessionSource {
  const name = basename(dir)
  const files = new Map<string, () => Uint8Array>()
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isFile())
      files.set(entry.toUpperCase(), () => sources.read(path, `${name}/${entry.toUpperCase()}`))
  }
  return { name, label: dir, files }
}

function zipSession(path: string, sources: SourceFiles): SessionSource {
  const name = basename(path).replace(/\.zip$/i, '')
  const files = new Map<string, () => Uint8Array>()
  const seen = new Map<string, string>()
  for (const entry of readZipEntries(path)) {
    const file = basename(entry.name).toUpperCase()
    if (entry.name.endsWith('/') || entry.name.startsWith('__MACOSX')) continue
    const earlier = seen.get(file)
    if (earlier !== undefined && READ_FILES.has(file)) {
      // Two sessions zipped together, or a session and its copy: taking either would be a guess.
      throw new FileFormatError(
        path,
        `two entries named ${basename(entry.name)}: ${renderToken(earlier, 80)} and ${renderToken(entry.name, 80)}; zip one session at a time`
      )
    }
    seen.set(file, entry.name)
    files.set(file, () => {
      const content = entry.read()
      // Only the entries are hashed (as they are read), so a zip and its unpacked folder are the same data.
      sources.add(`${name}/${file}`, content)
      return withLineFeeds(content)
    })
  }
  return { name, label: path, files }
}

/** A session folder, a session zip, or a folder of several of them. */
function findSessions(path: string, sources: SourceFiles): SessionSource[] {
  if (!existsSync(path)) throw new NotFoundError(`${path}: no such file or folder`, 'path')
  const stat = statSync(path)
  if (!stat.isFile() && !stat.isDirectory())
    throw new ValidationError(`${path}: not a file or folder (a device or a pipe)`, 'path')
  if (stat.isFile()) {
    if (!path.toLowerCase().endsWith('.zip'))
      throw new ValidationError(`${path}: expected a folder or a .zip of an E4 Connect session`, 'path')
    return [zipSession(path, sources)]
  }
  if (isSessionFolder(path)) return [folderSession(path, sources)]
  const sessions: SessionSource[] = []
  for (const entry of readdirSync(path).sort()) {
    const inner = join(path, entry)
    if (statSync(inner).isDirectory() && isSessionFolder(inner)) sessions.push(folderSession(inner, sources))
    else if (entry.toLowerCase().endsWith('.zip')) sessions.push(zipSession(inner, sources))
  }
  if (sessions.length === 0)
    throw new NotFoundError(`${path}: no E4 Connect session here (no ACC.csv, BVP.csv, ... nor .zip)`, 'path')
  return sessions
}

/** Reads E4 Connect exports (one or several sessions) of one participant into an import plan. */
export function planE4Import(path: string, participant: string): ImportPlan & { report: ImportReport } {
  if (participant.trim() === '') throw new ValidationError('a participant code is required', 'participant')
  const sources = new SourceFiles()
  const sessions: CountedSession[] = []
  const participants: ParticipantReport[] = []
  for (const source of findSessions(path, sources)) {
    const report = participantReport(participant, source.name)
    participants.push(report)
    const streams: ImportedStream[] = []
    for (const kind of E4_STREAMS) {
      const fileName = `${kind.stem}.CSV`
      const file = `${source.label}/${kind.stem}.csv`
      const read = source.files.get(fileName)
      if (!read) {
        report.problems.push(`${kind.stem}.csv is missing`)
        continue
      }
      const buffer = read()
      const { stream, problems } =
        kind.name === 'ibi' ? readE4IbiFile(buffer, file, kind) : readE4SignalFile(buffer, file, kind)
      report.problems.push(...problems)
      if (stream.times.length === 0) {
        report.problems.push(`${kind.stem}.csv has no samples`)
        continue
      }
      const streamInfo = streamReport(stream, file, {
        duplicatesRemoved: 0,
        outOfOrderRows: 0,
        missingValues: 0
      })
      streamInfo.nominalHz = kind.rateHz
      if (stream.rateHz !== kind.rateHz && kind.rateHz > 0) {
        report.problems.push(
          `${kind.stem}.csv: header rate ${stream.rateHz} Hz, the E4 nominal rate is ${kind.rateHz} Hz`
        )
      }
      addStream(report, streams, stream, streamInfo)
    }
    const tagsRead = source.files.get('TAGS.CSV')
    const markers = tagsRead
      ? readE4Tags(tagsRead(), `${source.label}/tags.csv`).map((timeMs, index) => ({
          timeMs,
          label: `tag ${index + 1}`,
          source: 'e4'
        }))
      : []
    if (streams.length === 0) {
      report.problems.push('no signal in this session, skipped')
      report.sessionName = null
      continue
    }
    const startMs = Math.min(...streams.map((stream) => stream.times[0]))
    const endMs = Math.max(...streams.map((stream) => stream.times[stream.times.length - 1]))
    sessions.push({
      participantCode: participant,
      name: `E4 ${source.name}`,
      startMs: Math.floor(startMs),
      timezone: 'UTC',
      durationMs: Math.round(endMs - Math.floor(startMs)),
      streams,
      markers,
      annotations: [],
      annotationCount: 0,
      markerCount: markers.length
    })
  }
  return importPlan({
    kind: 'e4',
    source: path,
    contentHash: sources.contentHash('e4'),
    sessions,
    participants,
    problems: [],
    participantCount: 1
  })
}
