import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { FileFormatError, NotFoundError } from '../errors'
import { withLineFeeds } from './csv-reader'

/**
 * The largest wristband file read whole: 256 MiB holds about four days of 64 Hz BVP, longer than an E4's
 * battery records, so anything bigger is not one session's file and would only exhaust memory.
 */
export const MAX_SIGNAL_FILE_BYTES = 256 * 1024 * 1024
/** A lab's own CSV may hold hours of several 1 kHz channels; 1 GiB stays well under what Node reads at once (2 GiB). */
export const MAX_LAB_CSV_BYTES = 1024 * 1024 * 1024

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${+(bytes / 1024 ** 3).toFixed(1)} GiB`
  if (bytes >= 1024 * 1024) return `${+(bytes / 1024 ** 2).toFixed(1)} MiB`
  return `${bytes} bytes`
}

/**
 * Reads an import's source files and remembers a hash of each under a logical name (e.g. "e4/1/BVP"),
 * so that the same data is recognised again even when its folders were unpacked differently.
 */
export class SourceFiles {
  private readonly hashes = new Map<string, string>()
  bytesRead = 0

  /** The file's bytes, sized before they are read, with CR-only line ends made line feeds (the hash is of the file as it is). */
  read(path: string, logicalName: string, maxBytes = MAX_SIGNAL_FILE_BYTES): Buffer {
    let buffer: Buffer
    try {
      const stat = statSync(path)
      // A device or a pipe has no size to check, and reading /dev/zero or an unwritten FIFO never ends.
      if (!stat.isFile()) throw new FileFormatError(path, 'not a regular file (a device, a pipe or a folder)')
      const size = stat.size
      if (size > maxBytes) {
        throw new FileFormatError(
          path,
          `${formatBytes(size)}, above the ${formatBytes(maxBytes)} one file may have: not the file it should be?`
        )
      }
      buffer = readFileSync(path)
    } catch (error) {
      if (error instanceof FileFormatError) throw error
      throw new NotFoundError(
        `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        'path'
      )
    }
    this.add(logicalName, buffer)
    return withLineFeeds(buffer)
  }

  /** Records bytes that did not come from a plain file (a zip entry). */
  add(logicalName: string, content: Uint8Array): void {
    this.hashes.set(logicalName, createHash('sha256').update(content).digest('hex'))
    this.bytesRead += content.byteLength
  }

  /** One hash over every file read, independent of the order they were read in. */
  contentHash(kind: string): string {
    const combined = createHash('sha256').update(`${kind}\n`)
    for (const name of [...this.hashes.keys()].sort()) combined.update(`${name}\0${this.hashes.get(name)}\n`)
    return combined.digest('hex')
  }
}
