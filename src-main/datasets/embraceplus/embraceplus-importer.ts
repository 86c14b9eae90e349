import { readFileSync, statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { FileFormatError, NotFoundError, ValidationError } from '../../errors'
import type { FileJoinReport } from '../../ipc/contract/datasets'
import type { ImportedStream, ImportPlan } from '../../store/import-writer'
import {
  importPlan,
  participantReport,
  round,
  streamReport,
  type CountedSession,
  type ImportReport,
  type ParticipantReport
} from '../import-report'
import { renderList, renderToken } from '../safe-text'
import { formatBytes, MAX_SIGNAL_FILE_BYTES, SourceFiles } from '../source-files'
import { BIOMARKER_RATE_HZ, biomarkerStreams, readBiomarkerFile, type BiomarkerFile } from './biomarkers'
import { readEmbraceFile, type EmbraceFile } from './embrace-file'
import { beatStreams } from './beats'
import { checkDate, findEmbraceFiles, inDateRange } from './layout'
import { versionText } from './schema'
import { DEFAULT_MAX_GAP_S, joinFiles, type JoinedSession } from './sessions'
import { timezoneName } from './timezone'

export interface EmbracePlusOptions {
  participant: string
  from?: string
  to?: string
  oneSession?: boolean
  maxGapS?: number
}

/** A binary file's bytes, sized first; unlike SourceFiles.read, line ends are never touched. */
function readBinary(path: string): Buffer {
  let size: number
  try {
    const stat = statSync(path)
    if (!stat.isFile()) throw new FileFormatError(path, 'not a regular file (a device, a pipe or a folder)')
    size = stat.size
  } catch (error) {
    if (error instanceof FileFormatError) throw error
    throw new NotFoundError(
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      'path'
    )
  }
  if (size > MAX_SIGNAL_FILE_BYTES)
    throw new FileFormatError(
      path,
      `${formatBytes(size)}, above the ${formatBytes(MAX_SIGNAL_FILE_BYTES)} one file may have`
    )
  return readFileSync(path)
}

/** The participant of a bucket folder <participantID>-<deviceSn> (serials have 10 characters), if it is one. */
function bucketFolderParticipant(folder: string): string | undefined {
  return /^(.+)-[A-Za-z0-9]{10}$/.exec(basename(folder))?.[1]
}

/**
 * The participant of a biomarker CSV: from the bucket folder <participantID>-<deviceSn> it sits in
 * (…/digital_biomarkers/aggregated_per_minute/x.csv), else from its name <id>_<date>_<measure>.csv, whose id
 * is the participant's or ends in -<participant> (the x-y- prefix of the raw files).
 */
function biomarkerParticipant(path: string): {
  folder: string | undefined
  device: string | undefined
  id: string
} {
  const bucket = basename(dirname(dirname(path))) === 'digital_biomarkers'
  const folder = bucket ? bucketFolderParticipant(dirname(dirname(dirname(path)))) : undefined
  const device =
    folder !== undefined ? basename(dirname(dirname(dirname(path)))).slice(folder.length + 1) : undefined
  const id = /^(.*)_\d{4}-\d{2}-\d{2}_[^_]+\.csv$/i.exec(basename(path))?.[1] ?? ''
  return { folder, device, id }
}

function localText(ms: number, offsetS: number): string {
  return new Date(ms + offsetS * 1000).toISOString().slice(0, 16).replace('T', ' ')
}

function joinReport(session: JoinedSession): FileJoinReport {
  const empty = new Map<string, number>()
  for (const file of session.files) for (const name of file.empty) empty.set(name, (empty.get(name) ?? 0) + 1)
  return {
    device: session.device,
    count: session.files.length,
    first: session.files[0].name,
    last: session.files[session.files.length - 1].name,
    schemaVersions: [...new Set(session.files.map((file) => versionText(file.version)))],
    timezoneOffsetS: session.files[0].timezoneS,
    emptyStreams: [...empty].map(([name, files]) => ({ name, files })),
    gaps: session.pauses.map((pause) => ({
      startMs: pause.startMs,
      endMs: pause.endMs,
      seconds: round((pause.endMs - pause.startMs) / 1000, 3)
    })),
    largestOverlapS: round(Math.max(0, session.largestOverlapMs) / 1000, 3),
    overlapSamplesDropped: session.streams.reduce((sum, stream) => sum + stream.overlapDropped, 0),
    systolicPeaks: session.peaksNs.length
  }
}

interface PlannedSession {
  /** The device serial ('' for biomarkers whose device is unknown). */
  device: string
  session: CountedSession
  report: ParticipantReport
}

function planSession(joined: JoinedSession, participant: string): PlannedSession {
  const first = joined.files[0]
  const zone = timezoneName(first.timezoneS)
  const problems = [...joined.problems]
  if (zone.approximate)
    problems.push(`timezone offset ${first.timezoneS} s has no IANA zone; the session is kept in UTC`)
  const offsets = new Set(joined.files.map((file) => file.timezoneS))
  if (offsets.size > 1)
    problems.push(
      `the files give several timezone offsets (${[...offsets].join(', ')} s); the session uses the first`
    )
  const streams: ImportedStream[] = []
  const report = participantReport(participant, null, problems)
  for (const stream of joined.streams) {
    const imported: ImportedStream = {
      name: stream.name,
      unit: stream.unit,
      rateHz: stream.nominalHz,
      channels: stream.kind.channels,
      times: stream.times,
      samples: stream.samples,
      measuredRateHz: stream.measuredHz,
      gaps: stream.gaps
    }
    if (stream.times.length === 0) continue
    streams.push(imported)
    const info = streamReport(imported, `${joined.files.length} files (rawData.${stream.kind.field})`, {
      duplicatesRemoved: stream.overlapDropped,
      outOfOrderRows: 0,
      missingValues: stream.invalidDropped
    })
    info.nominalHz = stream.nominalHz
    info.measuredHz = round(stream.measuredHz, 4)
    report.streams.push(info)
    if (Math.abs(stream.measuredHz / stream.nominalHz - 1) > 0.02)
      problems.push(
        `${stream.name}: the files' rates (${stream.fileRates.map((r) => +r.toFixed(4)).join('..')} Hz) are off the nominal ${stream.nominalHz} Hz by more than 2%`
      )
    if (stream.invalidDropped > 0) {
      const range = stream.kind.range
      const outside =
        range && stream.outOfRange > 0
          ? `, ${stream.outOfRange} of them outside ${range.min}..${range.max} ${stream.unit}`
          : ''
      problems.push(
        `${stream.name}: ${stream.invalidDropped} samples that are not numbers or not possible left out as gaps${outside}`
      )
    }
  }
  const beats = beatStreams(joined.peaksNs)
  for (const beat of beats.streams) {
    streams.push(beat)
    report.streams.push(
      streamReport(beat, `${joined.files.length} files (rawData.systolicPeaks)`, {
        duplicatesRemoved: beat.name === 'systolic_peaks' ? joined.duplicatePeaks : 0,
        outOfOrderRows: 0,
        missingValues: 0
      })
    )
  }
  if (beats.implausible > 0)
    problems.push(
      `${beats.implausible} intervals between systolic peaks outside ${beats.range} s (missed beats) are not inter-beat intervals; the peaks are kept`
    )
  const markers = joined.tagsMs.map((timeMs, index) => ({
    timeMs,
    label: `tag ${index + 1}`,
    source: 'embraceplus'
  }))
  const join = joinReport(joined)
  report.files = join
  const model = first.deviceModel
  const name = `EmbracePlus ${joined.device} ${localText(startOf(streams, markers), first.timezoneS)}`
  report.sessionName = name
  const session: CountedSession = {
    participantCode: participant,
    name,
    startMs: 0,
    timezone: zone.name,
    durationMs: 0,
    notes:
      `${model} ${joined.device}, schema ${join.schemaVersions.join(', ')}, firmware ${first.firmware}; ` +
      `${join.count} files (${join.first} .. ${join.last}); timezone offset ${first.timezoneS} s`,
    streams,
    markers,
    annotations: [],
    annotationCount: 0,
    markerCount: markers.length
  }
  return { device: joined.device, session, report }
}

function startOf(streams: ImportedStream[], markers: { timeMs: number }[]): number {
  let start = Infinity
  for (const stream of streams) if (stream.times.length > 0) start = Math.min(start, stream.times[0])
  for (const marker of markers) start = Math.min(start, marker.timeMs)
  return start
}

function finishSpan(session: CountedSession): void {
  let start = Infinity
  let end = -Infinity
  for (const stream of session.streams) {
    if (stream.times.length === 0) continue
    start = Math.min(start, stream.times[0])
    end = Math.max(end, stream.times[stream.times.length - 1])
  }
  for (const marker of session.markers) {
    start = Math.min(start, marker.timeMs)
    end = Math.max(end, marker.timeMs)
  }
  session.startMs = Math.floor(start)
  session.durationMs = Math.round(end - Math.floor(start))
}

function biomarkerSession(participant: string, device: string): PlannedSession {
  const name = `EmbracePlus biomarkers ${participant}${device ? ` ${device}` : ''}`
  return {
    device,
    report: participantReport(participant, name),
    session: {
      participantCode: participant,
      name,
      startMs: 0,
      timezone: 'UTC',
      durationMs: 0,
      notes: 'per-minute digital biomarkers without raw data',
      streams: [],
      markers: [],
      annotations: [],
      annotationCount: 0,
      markerCount: 0
    }
  }
}

function spanOf(target: PlannedSession): [number, number] {
  const times = target.session.streams.flatMap((s) =>
    s.times.length > 0 ? [s.times[0], s.times[s.times.length - 1]] : []
  )
  return times.length > 0 ? [Math.min(...times), Math.max(...times)] : [-Infinity, Infinity]
}

/**
 * Puts each measure's per-minute rows beside the raw streams of its device's session they fall nearest to
 * (judged by the raw streams alone), so that no minute is lost between sessions. A device without raw data
 * gets a session of its own; a CSV outside a bucket folder (device unknown) goes with every device's sessions.
 */
function addBiomarkers(
  planned: PlannedSession[],
  files: BiomarkerFile[],
  participant: string,
  problems: string[]
): PlannedSession[] {
  const groups = new Map<string, BiomarkerFile[]>()
  for (const file of files) {
    const key = `${file.device ?? ''}\u0000${file.measure}`
    groups.set(key, [...(groups.get(key) ?? []), file])
  }
  const spans = new Map(planned.map((target) => [target, spanOf(target)]))
  const extra = new Map<string, PlannedSession>()
  for (const [key, measureFiles] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const device = key.slice(0, key.indexOf('\u0000'))
    const measure = measureFiles[0].measure
    const { streams, missingMinutes } = biomarkerStreams(measureFiles)
    if (missingMinutes.size > 0)
      problems.push(
        `${measure}${device ? ` (${device})` : ''}: minutes without a value, by missing_value_reason: ${[...missingMinutes].map(([reason, n]) => `${reason} ${n}`).join(', ')} (kept as bm_…_missing)`
      )
    let targets = planned.filter((target) => device === '' || target.device === device)
    if (targets.length === 0) {
      const own = extra.get(device) ?? biomarkerSession(participant, device)
      extra.set(device, own)
      targets = [own]
    }
    const targetSpans = targets.map((target) => spans.get(target) ?? [-Infinity, Infinity])
    for (const stream of streams) {
      const owner = Int32Array.from(stream.times, (t) => {
        let best = 0
        let bestDistance = Infinity
        targetSpans.forEach(([from, to], index) => {
          const distance = t < from ? from - t : t > to ? t - to : 0
          if (distance < bestDistance) {
            best = index
            bestDistance = distance
          }
        })
        return best
      })
      const channels = stream.channels.length
      targets.forEach((target, index) => {
        const keep: number[] = []
        owner.forEach((o, i) => o === index && keep.push(i))
        if (keep.length === 0) return
        const part: ImportedStream = {
          name: stream.name,
          unit: stream.unit,
          // The missing minutes are events (reasons at some minutes), not a regular stream.
          rateHz: stream.name.endsWith('_missing') ? 0 : BIOMARKER_RATE_HZ,
          channels: stream.channels,
          times: Float64Array.from(keep, (i) => stream.times[i]),
          samples: Float32Array.from(
            { length: keep.length * channels },
            (_, k) => stream.samples[keep[Math.floor(k / channels)] * channels + (k % channels)]
          )
        }
        target.session.streams.push(part)
        target.report.streams.push(
          streamReport(part, measureFiles.map((file) => file.name).join(', '), {
            duplicatesRemoved: 0,
            outOfOrderRows: 0,
            missingValues: 0
          })
        )
      })
    }
  }
  return [...extra.values()]
}

/**
 * Reads an EmbracePlus download (Avro raw data and per-minute biomarker CSVs) of one participant into an
 * import plan: files joined into sessions per device, every stream in stored units, peaks and tags merged.
 */
export function planEmbracePlusImport(
  path: string,
  options: EmbracePlusOptions,
  progress?: (line: string) => void
): ImportPlan & { report: ImportReport } {
  const participant = options.participant.trim()
  if (participant === '')
    throw new ValidationError(
      'a participant id is required (enrollment.participantID in the files)',
      'participant'
    )
  checkDate(options.from, 'from')
  checkDate(options.to, 'to')
  if (options.from && options.to && options.from > options.to)
    throw new ValidationError(`--from ${options.from} is after --to ${options.to}`, 'from')
  const maxGapS = options.maxGapS ?? DEFAULT_MAX_GAP_S
  const found = findEmbraceFiles(path)
  const sources = new SourceFiles()
  // Files are hashed by name, not folder, so that the same files copied elsewhere are the same data; two
  // devices' CSVs of one day share a name, so a repeated name is numbered rather than overwritten.
  const hashNames = new Set<string>()
  const hashName = (path: string): string => {
    let name = `embraceplus/${basename(path)}`
    for (let k = 2; hashNames.has(name); k++) name = `embraceplus/${basename(path)}#${k}`
    hashNames.add(name)
    return name
  }
  const participantsFound = new Set<string>()
  const selected: EmbraceFile[] = []
  const avro = found.avro.filter((file) => inDateRange(file.date, options.from, options.to))
  avro.forEach((entry, index) => {
    if (index % 24 === 0) progress?.(`reading ${entry.name} (${index + 1} of ${avro.length})`)
    // A bucket folder names its participant (verified against every file's enrollment): another
    // participant's files need not be decoded to be listed. Files elsewhere are judged by what they say.
    const folder =
      basename(dirname(dirname(entry.path))) === 'raw_data'
        ? bucketFolderParticipant(dirname(dirname(dirname(entry.path))))
        : undefined
    if (folder !== undefined && folder !== participant) {
      participantsFound.add(folder)
      return
    }
    const buffer = readBinary(entry.path)
    const file = readEmbraceFile(buffer, entry.path, entry.name)
    participantsFound.add(file.participant)
    if (file.participant !== participant) return
    if (entry.date === undefined && file.sensors.length > 0) {
      const date = new Date(Math.min(...file.sensors.map((s) => s.startMs))).toISOString().slice(0, 10)
      if (!inDateRange(date, options.from, options.to)) return
    }
    sources.add(hashName(entry.path), buffer)
    selected.push(file)
  })
  const biomarkerFiles: BiomarkerFile[] = []
  for (const entry of found.biomarkers.filter((file) => inDateRange(file.date, options.from, options.to))) {
    const owner = biomarkerParticipant(entry.path)
    if (owner.folder !== undefined) participantsFound.add(owner.folder)
    const mine =
      owner.folder !== undefined
        ? owner.folder === participant
        : owner.id === participant || owner.id.endsWith(`-${participant}`)
    if (!mine) continue
    const buffer = sources.read(entry.path, hashName(entry.path))
    biomarkerFiles.push({ ...readBiomarkerFile(buffer, entry.path, entry.name), device: owner.device })
  }
  const everyone = [...participantsFound].sort()
  if (selected.length === 0 && biomarkerFiles.length === 0) {
    const range =
      options.from || options.to
        ? ` between ${options.from ?? 'the start'} and ${options.to ?? 'the end'}`
        : ''
    throw new NotFoundError(
      `${path}: no EmbracePlus data of participant ${renderToken(participant, 64)}${range}` +
        (everyone.length > 0 ? ` (participants found: ${renderList(everyone)})` : ''),
      'participant'
    )
  }
  progress?.(`joining ${selected.length} files into sessions`)
  const planned = joinFiles(selected, { maxGapS, oneSession: options.oneSession ?? false }).map((joined) =>
    planSession(joined, participant)
  )
  const problems: string[] = []
  const noSamples = selected.filter(
    (file) => file.sensors.length === 0 && file.peaksNs.length === 0 && file.tagsMs.length === 0
  )
  for (const file of noSamples) problems.push(`${file.name}: every stream is empty`)
  const all = [...planned, ...addBiomarkers(planned, biomarkerFiles, participant, problems)]
  const sessions = all.filter((item) => item.session.streams.length > 0 || item.session.markers.length > 0)
  for (const item of sessions) {
    finishSpan(item.session)
  }
  const plan = importPlan({
    kind: 'embraceplus',
    source: path,
    contentHash: sources.contentHash('embraceplus'),
    sessions: sessions.map((item) => item.session),
    participants: sessions.map((item) => item.report),
    problems,
    participantCount: 1
  })
  plan.report.participantsFound = everyone
  return plan
}
