import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'

/**
 * Writes a file through a temporary file beside it, fsynced, then renamed over the target and the folder
 * fsynced: a reader (or a crash) sees the old content or the new, never half a file. The temporary name is
 * unique per call, so that two writers of one target never share it.
 */
export async function writeFileAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const target = path.resolve(file)
  const directory = path.dirname(target)
  await fs.mkdir(directory, { recursive: true })
  const temporary = path.join(
    directory,
    `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  )
  try {
    const handle = await fs.open(temporary, 'wx')
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(temporary, target)
  } catch (error) {
    await fs.rm(temporary, { force: true })
    throw error
  }
  const handle = await fs.open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
