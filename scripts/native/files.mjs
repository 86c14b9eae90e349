// File helpers for an install that must never leave half a state behind: everything is written into a
// temporary sibling and renamed into place, and leftovers of an interrupted run are removed first.
import { readdir, rename, rm, statfs } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export const temporaryPrefix = '.emoheal-tmp-'

export function temporarySibling(path, role) {
  return join(dirname(path), `${temporaryPrefix}${role}-${process.pid}-${basename(path)}`)
}

/** Removes what an interrupted setup left in `folder` (only our own prefixed temporaries). */
export async function removeLeftovers(folder) {
  let names = []
  try {
    names = await readdir(folder)
  } catch {
    return
  }
  for (const name of names) {
    if (name.startsWith(temporaryPrefix)) await rm(join(folder, name), { recursive: true, force: true })
  }
}

/** Puts `staged` at `target`, replacing what was there; the old one is moved aside before it is deleted. */
export async function replaceWith(staged, target) {
  const old = temporarySibling(target, 'old')
  let hadOld = true
  try {
    await rename(target, old)
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
    hadOld = false
  }
  await rename(staged, target)
  if (hadOld) await rm(old, { recursive: true, force: true })
}

export async function freeBytes(folder) {
  const stats = await statfs(folder)
  return stats.bavail * stats.bsize
}

export function megabytes(bytes) {
  return `${Math.ceil(bytes / 1e6).toLocaleString('en')} MB`
}

export class DiskSpaceError extends Error {
  name = 'DiskSpaceError'
}

/** Throws when `folder`'s file system has less than `needed` bytes free, naming both figures. */
export async function requireFreeSpace(folder, needed, what) {
  const free = await freeBytes(folder)
  if (free < needed) {
    throw new DiskSpaceError(
      `not enough disk for ${what}: needs ${megabytes(needed)} free in ${folder}, only ${megabytes(free)} available`
    )
  }
}
