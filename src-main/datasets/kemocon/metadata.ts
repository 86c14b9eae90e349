import { FileFormatError } from '../../errors'
import { readHeader, readNamedColumns, splitLine } from '../csv-reader'
import { checkTime } from '../limits'
import { renderList, renderNumber, renderToken } from '../safe-text'

/** One row of metadata/subjects.csv; times in epoch ms (null where the cell is missing). */
export interface Subject {
  pid: string
  initMs: number | null
  startMs: number | null
  endMs: number | null
}

/** Participant ids are written "1", "01" or "P1" across copies; all name participant 1. */
export function normalisePid(raw: string): string | undefined {
  const match = /^p?0*(\d+)$/i.exec(raw.trim())
  return match ? String(Number(match[1])) : undefined
}

/** A debate time in epoch ms (copies hold seconds or ms), or null for an empty cell; refused outside 2000..2100. */
function epochMs(value: number, file: string, line: number, column: string): number | null {
  if (Number.isNaN(value)) return null
  const ms = Math.abs(value) < 1e11 ? value * 1000 : value
  checkTime(ms, file, line, column, value)
  return ms
}

export function readSubjects(buffer: Buffer, file: string): Subject[] {
  const table = readNamedColumns(buffer, file, ['pid', 'initTime', 'startTime', 'endTime'], {
    allowMissing: true
  })
  const [pids, init, start, end] = table.columns
  const subjects: Subject[] = []
  for (let i = 0; i < table.rowCount; i++) {
    const line = table.lines[i]
    if (Number.isNaN(pids[i])) throw new FileFormatError(file, 'the pid cell is empty', line)
    // Participants are numbered; "1.5" or "-2" would name a participant no folder or file can belong to.
    if (!Number.isSafeInteger(pids[i]) || pids[i] < 0)
      throw new FileFormatError(file, `not a participant id: ${renderNumber(pids[i])}`, line)
    const subject = {
      pid: String(pids[i]),
      initMs: epochMs(init[i], file, line, 'initTime'),
      startMs: epochMs(start[i], file, line, 'startTime'),
      endMs: epochMs(end[i], file, line, 'endTime')
    }
    if (subject.startMs !== null && subject.endMs !== null && subject.endMs < subject.startMs) {
      throw new FileFormatError(
        file,
        `participant ${subject.pid}: endTime is before startTime`,
        table.lines[i]
      )
    }
    subjects.push(subject)
  }
  return subjects
}

const TRUTHY = new Set(['1', 'true', 'yes', 'y', 'o', 'available', 'present'])

/** data_availability.csv: pid -> the file kinds marked present (column names as written, e.g. E4_BVP). */
export function readAvailability(buffer: Buffer, file: string): Map<string, Set<string>> {
  const header = readHeader(buffer, file)
  const pidIndex = header.names.findIndex((name) => name.toLowerCase() === 'pid')
  if (pidIndex < 0)
    throw new FileFormatError(file, `no "pid" column (header: ${renderList(header.names)})`, 1)
  const availability = new Map<string, Set<string>>()
  const lines = buffer.subarray(header.offset).toString('utf8').split('\n')
  lines.forEach((line, index) => {
    if (line.trim() === '') return
    const cells = splitLine(line)
    const pid = normalisePid(cells[pidIndex] ?? '')
    if (!pid)
      throw new FileFormatError(
        file,
        `not a participant id: ${renderToken(cells[pidIndex] ?? '')}`,
        index + 2
      )
    const present = new Set<string>()
    header.names.forEach((name, column) => {
      if (column !== pidIndex && TRUTHY.has((cells[column] ?? '').toLowerCase())) present.add(name)
    })
    availability.set(pid, present)
  })
  return availability
}
