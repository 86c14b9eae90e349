import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { NotFoundError } from '../errors'

/**
 * Reads an import's source files and remembers a hash of each under a logical name (e.g. "e4/1/BVP"),
 * so that the same data is recognised again even when its folders were unpacked differently.
 */
export class SourceFiles {
  private readonly hashes = new Map<string, string>()
  bytesRead = 0

  read(path: string, logicalName: string): Buffer {
    let buffer: Buffer
    try {
      buffer = readFileSync(path)
    } catch (error) {
      throw new NotFoundError(
        `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        'path'
      )
    }
    this.add(logicalName, buffer)
    return buffer
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
