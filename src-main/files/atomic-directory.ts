import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'

/** A file's content: whole, or made piece by piece (a file too large to hold as one string). */
export type FileContent = string | Uint8Array | (() => Iterable<string | Uint8Array>)

async function writeFileSynced(file: string, data: FileContent): Promise<void> {
  const handle = await fs.open(file, 'w')
  try {
    if (typeof data === 'function')
      for (const piece of data()) await handle.write(typeof piece === 'string' ? Buffer.from(piece) : piece)
    else await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false
  )
}

/**
 * Writes a directory atomically: every file is written and fsynced in a temporary directory beside the
 * target, then renamed into place; an existing directory is replaced only once the new one is complete.
 */
export async function writeDirectoryAtomically(
  directory: string,
  files: Record<string, FileContent>
): Promise<void> {
  const target = path.resolve(directory)
  const parent = path.dirname(target)
  const base = path.basename(target)
  await fs.mkdir(parent, { recursive: true })
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const temporary = path.join(parent, `.${base}.tmp-${suffix}`)
  await fs.mkdir(temporary)
  try {
    for (const [name, data] of Object.entries(files)) await writeFileSynced(path.join(temporary, name), data)
    await syncDirectory(temporary)
    if (await exists(target)) {
      // rename() cannot replace a non-empty directory: move the old one aside, then drop it.
      const previous = path.join(parent, `.${base}.old-${suffix}`)
      await fs.rename(target, previous)
      await fs.rename(temporary, target)
      await fs.rm(previous, { recursive: true, force: true })
    } else {
      await fs.rename(temporary, target)
    }
    await syncDirectory(parent)
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true })
    throw error
  }
}
