import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs'
import { crc32, inflateRawSync } from 'node:zlib'
import { FileFormatError, NotFoundError } from '../../errors'
import { renderToken } from '../safe-text'
import { formatBytes, MAX_SIGNAL_FILE_BYTES } from '../source-files'

/**
 * A zip read the careful way. A zip says in its central directory how large each entry inflates to, and a
 * hostile or damaged one can claim a little and inflate to gigabytes (a "zip bomb") or say nothing true at
 * all. So sizes are checked against limits before anything is inflated, an entry is inflated only when
 * asked for and never past what it declared, and its CRC is checked, so that a flipped byte in a stored
 * entry is refused instead of imported as data.
 */
export interface ZipLimits {
  /** The zip file itself. */
  zipBytes: number
  /** One entry, inflated. */
  entryBytes: number
  /** Every entry inflated from one zip, together. */
  totalBytes: number
  entries: number
}

export const ZIP_LIMITS: ZipLimits = {
  // An E4 Connect export of a long session is tens of MB; these leave room for any real one.
  zipBytes: 1024 * 1024 * 1024,
  entryBytes: MAX_SIGNAL_FILE_BYTES,
  totalBytes: 1024 * 1024 * 1024,
  entries: 10_000
}

export interface ZipEntry {
  /** The name as the zip holds it, with any folders. */
  name: string
  declaredBytes: number
  /** Inflates and checks the entry (only then: entries nobody asks for are never inflated). */
  read: () => Buffer
}

const END_OF_DIRECTORY = 0x06054b50
const DIRECTORY_ENTRY = 0x02014b50
const LOCAL_HEADER = 0x04034b50

function readWhole(path: string, limit: number): Buffer {
  let fd: number
  try {
    // Checked before opening: opening a FIFO waits for a writer, and a device never ends.
    if (!statSync(path).isFile())
      throw new FileFormatError(path, 'not a regular file (a device, a pipe or a folder)')
    fd = openSync(path, 'r')
  } catch (error) {
    if (error instanceof FileFormatError) throw error
    throw new NotFoundError(
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'path'
    )
  }
  try {
    const size = fstatSync(fd).size
    if (size > limit) {
      throw new FileFormatError(path, `${formatBytes(size)}, above the ${formatBytes(limit)} a zip may have`)
    }
    const buffer = Buffer.alloc(size)
    let done = 0
    while (done < size) {
      const n = readSync(fd, buffer, done, size - done, done)
      if (n === 0) break
      done += n
    }
    return buffer.subarray(0, done)
  } finally {
    closeSync(fd)
  }
}

function findEndOfDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of up to 65535.
  const last = zip.length - 22
  for (let at = last; at >= 0 && at >= last - 65535; at--) {
    if (zip.readUInt32LE(at) === END_OF_DIRECTORY && at + 22 + zip.readUInt16LE(at + 20) <= zip.length)
      return at
  }
  return -1
}

/** Lists a zip's entries from its central directory; throws FileFormatError naming the zip for anything damaged. */
export function readZipEntries(path: string, limits: ZipLimits = ZIP_LIMITS): ZipEntry[] {
  const zip = readWhole(path, limits.zipBytes)
  const damaged = (why: string): never => {
    throw new FileFormatError(path, `not a readable zip (${why})`)
  }
  const end = findEndOfDirectory(zip)
  if (end < 0) damaged('no end-of-directory record: truncated, or not a zip')
  const count = zip.readUInt16LE(end + 10)
  const directorySize = zip.readUInt32LE(end + 12)
  const directoryAt = zip.readUInt32LE(end + 16)
  if (count === 0xffff || directorySize === 0xffffffff || directoryAt === 0xffffffff) {
    damaged('a ZIP64 archive: an E4 Connect export is never that large')
  }
  if (count > limits.entries) damaged(`${count} entries, above the ${limits.entries} allowed`)
  if (directoryAt + directorySize > end) damaged('its directory lies outside the file: truncated?')

  const entries: ZipEntry[] = []
  let inflated = 0
  let at = directoryAt
  for (let k = 0; k < count; k++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== DIRECTORY_ENTRY)
      damaged(`directory entry ${k + 1} is damaged`)
    const flags = zip.readUInt16LE(at + 8)
    const method = zip.readUInt16LE(at + 10)
    const crc = zip.readUInt32LE(at + 16)
    const compressedBytes = zip.readUInt32LE(at + 20)
    const declaredBytes = zip.readUInt32LE(at + 24)
    const nameLength = zip.readUInt16LE(at + 28)
    const skip = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
    const localAt = zip.readUInt32LE(at + 42)
    if (at + 46 + nameLength > end) damaged(`directory entry ${k + 1} is cut short`)
    const rawName = zip.subarray(at + 46, at + 46 + nameLength)
    // Bit 11 marks UTF-8 names; older tools wrote code page 437, of which only ASCII matters here.
    const name = rawName.toString(flags & 0x800 ? 'utf8' : 'latin1')
    at += 46 + nameLength + skip
    const shown = renderToken(rawName, 80)
    const read = (): Buffer => {
      if (flags & 1) throw new FileFormatError(path, `entry ${shown} is encrypted`)
      if (declaredBytes > limits.entryBytes) {
        throw new FileFormatError(
          path,
          `entry ${shown} declares ${formatBytes(declaredBytes)}, above the ${formatBytes(limits.entryBytes)} one file may have (refused before inflating)`
        )
      }
      if (inflated + declaredBytes > limits.totalBytes) {
        throw new FileFormatError(
          path,
          `entry ${shown} would take the zip past ${formatBytes(limits.totalBytes)} inflated (refused before inflating)`
        )
      }
      if (localAt + 30 > zip.length || zip.readUInt32LE(localAt) !== LOCAL_HEADER) {
        throw new FileFormatError(path, `entry ${shown}: its local header is missing or damaged`)
      }
      const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28)
      if (dataAt + compressedBytes > zip.length) {
        throw new FileFormatError(path, `entry ${shown} runs past the end of the file: truncated?`)
      }
      const data = zip.subarray(dataAt, dataAt + compressedBytes)
      let content: Buffer
      if (method === 0) content = Buffer.from(data)
      else if (method === 8) {
        try {
          // Never past what the entry declared: a lie about the size cannot turn into gigabytes here.
          content = inflateRawSync(data, { maxOutputLength: Math.max(1, declaredBytes) })
        } catch (error) {
          const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
          throw new FileFormatError(
            path,
            tooLarge
              ? `entry ${shown} inflates past the ${formatBytes(declaredBytes)} it declares (a damaged or hostile zip)`
              : `entry ${shown} is damaged (${(error as Error).message})`
          )
        }
      } else
        throw new FileFormatError(
          path,
          `entry ${shown} uses compression method ${method}, not stored or deflated`
        )
      if (content.length !== declaredBytes) {
        throw new FileFormatError(
          path,
          `entry ${shown} holds ${formatBytes(content.length)}, not the ${formatBytes(declaredBytes)} it declares`
        )
      }
      if (crc32(content) >>> 0 !== crc)
        throw new FileFormatError(path, `entry ${shown} fails its CRC check: the zip is damaged`)
      inflated += content.length
      return content
    }
    entries.push({ name, declaredBytes, read })
  }
  return entries
}
