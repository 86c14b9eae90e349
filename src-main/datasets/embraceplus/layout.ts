import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { NotFoundError, ValidationError } from '../../errors'

/**
 * Where EmbracePlus files are in what a lab downloads from Empatica's bucket:
 * participant_data/<UTC date>/<participantID>-<deviceSn>/raw_data/v6/<x>-<y>-<participantID>_<unix s>.avro
 * and .../digital_biomarkers/aggregated_per_minute/<id>_<date>_<measure>.csv. The import may start at the
 * root, a date folder, a participant-device folder, a folder of .avro files or one file.
 */

export interface FoundFile {
  path: string
  /** Path below the folder given, for messages and the content hash. */
  name: string
  /** UTC date (YYYY-MM-DD) from the file's name or folder, where either says it. */
  date: string | undefined
}

export interface FoundFiles {
  avro: FoundFile[]
  biomarkers: FoundFile[]
}

/** Deeper than participant_data/date/folder/raw_data/v6 plus a prefix or two: no layout of Empatica's. */
const MAX_DEPTH = 8

const DATE = /^\d{4}-\d{2}-\d{2}$/

function utcDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10)
}

function dateOf(path: string, root: string): string | undefined {
  const file = basename(path)
  const stamp = /_(\d{9,11})\.avro$/i.exec(file)
  if (stamp) return utcDate(Number(stamp[1]))
  const inName = /_(\d{4}-\d{2}-\d{2})_[^_]+\.csv$/i.exec(file)
  if (inName) return inName[1]
  return relative(root, path)
    .split(/[\\/]/)
    .find((part) => DATE.test(part))
}

export function findEmbraceFiles(path: string): FoundFiles {
  if (!existsSync(path)) throw new NotFoundError(`${path}: no such file or folder`, 'path')
  const stat = statSync(path)
  const found: FoundFiles = { avro: [], biomarkers: [] }
  if (stat.isFile()) {
    if (!path.toLowerCase().endsWith('.avro'))
      throw new ValidationError(`${path}: expected an EmbracePlus .avro file or a folder of them`, 'path')
    found.avro.push({ path, name: basename(path), date: dateOf(path, path) })
    return found
  }
  if (!stat.isDirectory())
    throw new ValidationError(`${path}: not a file or folder (a device or a pipe)`, 'path')
  const walk = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1
    )) {
      const inner = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH && !entry.name.startsWith('.')) walk(inner, depth + 1)
        continue
      }
      if (!entry.isFile()) continue
      const lower = entry.name.toLowerCase()
      const name = relative(path, inner)
      if (lower.endsWith('.avro')) found.avro.push({ path: inner, name, date: dateOf(inner, path) })
      else if (lower.endsWith('.csv') && basename(dir) === 'aggregated_per_minute')
        found.biomarkers.push({ path: inner, name, date: dateOf(inner, path) })
    }
  }
  walk(path, 0)
  if (found.avro.length === 0 && found.biomarkers.length === 0)
    throw new NotFoundError(
      `${path}: no EmbracePlus data here (no .avro files nor digital_biomarkers/aggregated_per_minute CSVs)`,
      'path'
    )
  return found
}

/** Whether a file's date is within --from/--to (inclusive); files without a date are read and judged by their times. */
export function inDateRange(date: string | undefined, from?: string, to?: string): boolean {
  if (date === undefined) return true
  return (from === undefined || date >= from) && (to === undefined || date <= to)
}

export function checkDate(value: string | undefined, field: string): void {
  if (value === undefined) return
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new ValidationError(`--${field} must be a date YYYY-MM-DD, got "${value}"`, field)
}
