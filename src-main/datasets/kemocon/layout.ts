import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NotFoundError } from '../../errors'

/** Where the parts of a K-EmoCon copy are, after looking through doubled folders. Missing parts are undefined. */
export interface KemoconLayout {
  root: string
  metadata?: string
  e4Data?: string
  annotations?: string
  /** Notes on what was found odd (doubled folders), for the report. */
  notes: string[]
}

const TOP_FOLDERS = ['metadata', 'e4_data', 'emotion_annotations']

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory()
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== '__MACOSX')
    .map((entry) => entry.name)
}

/** Goes into `dir/name`, and further into `name/name/...` where an unzip tool doubled it. */
export function descend(dir: string, name: string, notes: string[]): string | undefined {
  let path = join(dir, name)
  if (!isDirectory(path)) return undefined
  let depth = 0
  while (isDirectory(join(path, name)) && depth < 4) {
    path = join(path, name)
    depth++
  }
  if (depth > 0) notes.push(`doubled folder ${name}/${name}: read ${path}`)
  return path
}

/**
 * Finds a K-EmoCon copy at `dir`, or one or two single folders below it (an archive unpacked into a
 * folder of its own name).
 */
export function findKemoconLayout(dir: string): KemoconLayout {
  if (!isDirectory(dir)) throw new NotFoundError(`${dir}: no such folder`, 'path')
  let root = dir
  for (let depth = 0; depth < 3; depth++) {
    if (TOP_FOLDERS.some((name) => isDirectory(join(root, name)))) break
    const inner = subfolders(root)
    if (inner.length !== 1) break
    root = join(root, inner[0])
  }
  const notes: string[] = []
  const layout: KemoconLayout = {
    root,
    metadata: descend(root, 'metadata', notes),
    e4Data: descend(root, 'e4_data', notes),
    annotations: descend(root, 'emotion_annotations', notes),
    notes
  }
  if (!layout.metadata && !layout.e4Data && !layout.annotations) {
    throw new NotFoundError(
      `${dir}: not a K-EmoCon folder (no metadata, e4_data or emotion_annotations folder)`,
      'path'
    )
  }
  return layout
}

export function listSubfolders(dir: string): string[] {
  return isDirectory(dir) ? subfolders(dir) : []
}

export function listFiles(dir: string): string[] {
  if (!isDirectory(dir)) return []
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
}

export { isDirectory }
