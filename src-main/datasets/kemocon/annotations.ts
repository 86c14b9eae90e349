import type { AnnotationSource, NewAnnotation } from '../../store/annotation-store'
import { FileFormatError } from '../../errors'
import { ANNOTATION_EMOTIONS } from '../../ipc/contract/annotations'
import { readHeader, readNumericRows } from '../csv-reader'
import { renderList, renderNumber, renderToken } from '../safe-text'

/** K-EmoCon rates each 5-second interval of the debate; `seconds` is the interval's end. */
export const ANNOTATION_INTERVAL_MS = 5000

/** A day: no debate is longer, and a `seconds` beyond it is a damaged cell or another column. */
const MAX_DEBATE_SECONDS = 86_400
/** Emotion intensities above this are not K-EmoCon's; 0..5 is also what the annotation calls accept, so an imported row stays editable. */
const MAX_EMOTION = 5

export const ANNOTATION_COLUMNS = [
  'seconds',
  'arousal',
  'valence',
  // The emotions offered when annotating by hand are K-EmoCon's list up to here.
  ...ANNOTATION_EMOTIONS,
  'none_1',
  'confrustion',
  'contempt',
  'dejection',
  'disgust',
  'eureka',
  'pride',
  'sorrow',
  'none_2'
]

export interface AnnotationFileKind {
  source: AnnotationSource
  rater: string
}

/** Which annotation a file name holds: P<pid>.self.csv, P<pid>.partner.csv, P<pid>.R<k>.csv, P<pid>.external.csv. */
export function annotationFileKind(fileName: string): { pid: string; kind: AnnotationFileKind } | undefined {
  const match = /^p0*(\d+)\.(self|partner|r\d+|external)\.csv$/i.exec(fileName.trim())
  if (!match) return undefined
  const pid = String(Number(match[1]))
  const tag = match[2].toLowerCase()
  if (tag === 'self' || tag === 'partner') return { pid, kind: { source: tag, rater: '' } }
  if (tag === 'external') return { pid, kind: { source: 'external', rater: 'aggregate' } }
  return { pid, kind: { source: 'external', rater: tag.toUpperCase() } }
}

export interface ParsedAnnotations {
  annotations: NewAnnotation[]
  missingCells: number
  problems: string[]
}

function uniqueKeys(names: string[]): string[] {
  const seen = new Map<string, number>()
  return names.map((name) => {
    const key = name.trim().toLowerCase()
    const count = (seen.get(key) ?? 0) + 1
    seen.set(key, count)
    return count === 1 ? key : `${key}_${count}`
  })
}

function likert(
  value: number,
  column: string,
  line: number,
  file: string,
  problems: string[]
): number | null {
  if (Number.isNaN(value)) return null
  if (value < 1 || value > 5) {
    problems.push(`${file}:${line}: ${column} ${renderNumber(value)} is outside 1..5, read as missing`)
    return null
  }
  return value
}

/**
 * Reads one annotation file: every column but `seconds`, `arousal` and `valence` becomes an entry of
 * `emotions`. Empty and "x" cells are missing (null); text anywhere else is an error naming the line.
 */
export function readAnnotationFile(
  buffer: Buffer,
  file: string,
  kind: AnnotationFileKind,
  debateStartMs: number
): ParsedAnnotations {
  const header = readHeader(buffer, file)
  const keys = uniqueKeys(header.names)
  for (const required of ['seconds', 'arousal', 'valence']) {
    if (!keys.includes(required)) {
      throw new FileFormatError(file, `no "${required}" column (header: ${renderList(header.names)})`, 1)
    }
  }
  const fields = keys.map((_, index) => index).filter((index) => keys[index] !== '')
  const names = fields.map((index) => keys[index])
  const rows = readNumericRows(buffer, file, {
    offset: header.offset,
    firstLine: 2,
    fieldCount: header.names.length,
    fields,
    names,
    allowMissing: true
  })
  const column = (name: string) => rows.columns[names.indexOf(name)]
  const seconds = column('seconds')
  const arousal = column('arousal')
  const valence = column('valence')
  const emotionNames = names.filter((name) => name !== 'seconds' && name !== 'arousal' && name !== 'valence')
  const emotionColumns = emotionNames.map(column)
  const problems: string[] = []
  const annotations: NewAnnotation[] = []
  const seen = new Set<number>()
  for (let i = 0; i < rows.rowCount; i++) {
    const line = rows.lines[i]
    if (Number.isNaN(seconds[i])) throw new FileFormatError(file, 'the seconds cell is empty', line)
    // A time, so refused rather than skipped (see limits.ts): K-EmoCon rates a debate of about ten minutes.
    if (!(seconds[i] >= 0 && seconds[i] <= MAX_DEBATE_SECONDS)) {
      throw new FileFormatError(
        file,
        `seconds ${renderNumber(seconds[i])} is not within the debate (0..${MAX_DEBATE_SECONDS} s after its start)`,
        line
      )
    }
    if (seen.has(seconds[i])) {
      problems.push(`${file}:${line}: a second row for ${seconds[i]} s, ignored`)
      continue
    }
    seen.add(seconds[i])
    const endMs = debateStartMs + seconds[i] * 1000
    const emotions: Record<string, number | null> = {}
    emotionNames.forEach((name, k) => {
      const value = emotionColumns[k][i]
      if (Number.isNaN(value)) emotions[name] = null
      else if (value < 0 || value > MAX_EMOTION) {
        // Kept as missing, like a rating out of 1..5: one bad cell must not lose the row's other ratings.
        problems.push(
          `${file}:${line}: ${renderToken(name)} ${renderNumber(value)} is outside 0..${MAX_EMOTION}, read as missing`
        )
        emotions[name] = null
      } else emotions[name] = value
    })
    annotations.push({
      source: kind.source,
      rater: kind.rater,
      startMs: endMs - ANNOTATION_INTERVAL_MS,
      endMs,
      arousal: likert(arousal[i], 'arousal', line, file, problems),
      valence: likert(valence[i], 'valence', line, file, problems),
      emotions
    })
  }
  annotations.sort((a, b) => a.endMs - b.endMs)
  return { annotations, missingCells: rows.missingCells, problems }
}
