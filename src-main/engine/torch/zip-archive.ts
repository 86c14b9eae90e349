import { Inflate } from 'fflate'
import { crc32 } from 'node:zlib'
import { FileFormatError } from '../../errors'
import { printable } from './limits'

/** One file of a zip archive as its central directory describes it; nothing of it is read yet. */
export interface ZipEntry {
  name: string
  method: number
  crc: number
  compressedSize: number
  /** The uncompressed size the central directory declares: the most that reading the entry may produce. */
  declaredSize: number
  localHeaderOffset: number
}

export interface ZipLimits {
  /** Entries whose declared size is larger are refused when the directory is read, read or not. */
  largestEntryBytes: number
}

// The classic format's own limit (a 16-bit count); torch.save writes one entry per storage plus a handful.
const largestEntryCount = 0xffff
// Deflate expands at most ~1032:1, so feeding 4 KiB at a time keeps each step's output near 4 MiB: a
// lying entry is caught within one step of its declared size, with little memory held when it is.
const inflateStep = 4 * 1024

const signatures = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  zip64Locator: 0x07064b50,
  zip64End: 0x06064b50
}

/** Entry names torch.save never writes: deeper paths, absolute paths, `.`/`..` segments, backslashes. */
function unsafeName(name: string): string | null {
  if (name.startsWith('/') || name.includes('\\')) return 'escapes the archive'
  const segments = name.replace(/\/$/, '').split('/')
  if (segments.some((segment) => segment === '..' || segment === '.' || segment === ''))
    return 'escapes the archive'
  // <archive>/data/<key> is as deep as a torch.save archive goes; a zip in a zip is never opened either.
  return segments.length > 3
    ? 'is nested deeper than a torch.save archive goes (a TorchScript archive is not a state_dict)'
    : null
}

/**
 * Reads a torch.save zip archive's central directory up front, then inflates single entries on request, each only up
 * to the size the directory declares for it. Every read is bounds-checked: a damaged or hostile archive is a
 * FileFormatError naming the file, never a RangeError or an allocation the archive chose.
 */
export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>()
  private readonly view: DataView
  private readonly directoryStart: number

  constructor(
    readonly file: string,
    private readonly bytes: Uint8Array,
    private readonly limits: ZipLimits
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const { count, start, size } = this.directory()
    this.directoryStart = start
    let at = start
    const end = start + size
    for (let i = 0; i < count; i++) {
      if (at + 46 > end || this.u32(at) !== signatures.central)
        this.damaged(`central directory record ${i} is not where the directory says`)
      const flags = this.u16(at + 8)
      const nameLength = this.u16(at + 28)
      const extraLength = this.u16(at + 30)
      const commentLength = this.u16(at + 32)
      const next = at + 46 + nameLength + extraLength + commentLength
      if (next > end) this.damaged(`central directory record ${i} runs past the directory`)
      const name = Buffer.from(bytes.subarray(at + 46, at + 46 + nameLength)).toString('utf8')
      const entry: ZipEntry = {
        name,
        method: this.u16(at + 10),
        crc: this.u32(at + 16),
        compressedSize: this.u32(at + 20),
        declaredSize: this.u32(at + 24),
        localHeaderOffset: this.u32(at + 42)
      }
      this.readZip64Sizes(entry, at + 46 + nameLength, extraLength)
      const unsafe = unsafeName(name)
      if (unsafe) this.refuse(entry, unsafe)
      if (flags & 1) this.refuse(entry, 'is encrypted')
      if (this.entries.has(name)) this.refuse(entry, 'appears twice in the archive')
      if (entry.declaredSize > limits.largestEntryBytes) {
        this.refuse(
          entry,
          `declares ${entry.declaredSize} bytes, more than a model file holds (${limits.largestEntryBytes})`
        )
      }
      this.entries.set(name, entry)
      at = next
    }
  }

  /** The entry's bytes, inflated and CRC-checked; at most `largest` bytes and never more than it declares. */
  read(entry: ZipEntry, largest: number): Uint8Array {
    if (entry.declaredSize > largest)
      this.refuse(entry, `declares ${entry.declaredSize} bytes, more than ${largest} allowed here`)
    const at = entry.localHeaderOffset
    if (at + 30 > this.directoryStart || this.u32(at) !== signatures.local)
      this.refuse(entry, 'has no local header where the directory says')
    const dataStart = at + 30 + this.u16(at + 26) + this.u16(at + 28)
    const dataEnd = dataStart + entry.compressedSize
    if (dataEnd > this.directoryStart) this.refuse(entry, 'runs past the end of the archive data')
    const compressed = this.bytes.subarray(dataStart, dataEnd)
    let data: Uint8Array
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.declaredSize)
        this.refuse(entry, `is stored as ${entry.compressedSize} bytes but declares ${entry.declaredSize}`)
      data = compressed
    } else if (entry.method === 8) {
      data = this.inflate(entry, compressed)
    } else {
      return this.refuse(entry, `uses compression method ${entry.method}; only stored and deflate are read`)
    }
    if (crc32(data) >>> 0 !== entry.crc) this.refuse(entry, 'does not match its CRC: the archive is damaged')
    return data
  }

  private inflate(entry: ZipEntry, compressed: Uint8Array): Uint8Array {
    const out = new Uint8Array(entry.declaredSize)
    let written = 0
    const inflater = new Inflate((chunk) => {
      if (written + chunk.length > out.length)
        this.refuse(entry, `inflates to more than the ${entry.declaredSize} bytes it declares`)
      out.set(chunk, written)
      written += chunk.length
    })
    try {
      let at = 0
      do {
        inflater.push(compressed.subarray(at, at + inflateStep), at + inflateStep >= compressed.length)
        at += inflateStep
      } while (at < compressed.length)
    } catch (error) {
      if (error instanceof FileFormatError) throw error
      this.refuse(entry, `is not a valid deflate stream (${(error as Error).message})`)
    }
    if (written !== entry.declaredSize)
      this.refuse(entry, `inflates to ${written} bytes but declares ${entry.declaredSize}`)
    return out
  }

  /** Where the central directory is and how many records it holds (zip64 where torch writes its records). */
  private directory(): { count: number; start: number; size: number } {
    const length = this.bytes.length
    let end = -1
    // The end record is the last 22 bytes plus a comment of up to 65,535.
    for (let at = length - 22; at >= Math.max(0, length - 22 - 0xffff); at--) {
      if (this.u32(at) === signatures.end) {
        end = at
        break
      }
    }
    if (end < 0) this.damaged('no end of central directory record')
    if (this.u16(end + 4) !== 0 || this.u16(end + 6) !== 0) this.damaged('a multi-disk archive')
    let count = this.u16(end + 10)
    let size = this.u32(end + 12)
    let start = this.u32(end + 16)
    let directoryEnd = end
    if (end >= 20 && this.u32(end - 20) === signatures.zip64Locator) {
      const record = this.u64(end - 12)
      if (record + 56 > end - 20 || this.u32(record) !== signatures.zip64End)
        this.damaged('a zip64 locator that points at no zip64 record')
      count = this.u64(record + 32)
      size = this.u64(record + 40)
      start = this.u64(record + 48)
      directoryEnd = record
    }
    if (count > largestEntryCount)
      this.damaged(`${count} entries, more than a torch.save archive has (${largestEntryCount})`)
    if (start + size > directoryEnd || count * 46 > size)
      this.damaged('its central directory lies outside the file')
    return { count, start, size }
  }

  /** Sizes and offset of 0xffffffff mean "in the zip64 extra field", in this order. */
  private readZip64Sizes(entry: ZipEntry, extraStart: number, extraLength: number): void {
    const needs = [entry.declaredSize, entry.compressedSize, entry.localHeaderOffset].map(
      (value) => value === 0xffffffff
    )
    if (!needs.some(Boolean)) return
    for (let at = extraStart; at + 4 <= extraStart + extraLength;) {
      const id = this.u16(at)
      const size = this.u16(at + 2)
      if (id === 0x0001) {
        let field = at + 4
        const next = (): number => {
          if (field + 8 > at + 4 + size) this.refuse(entry, 'has a zip64 field that is too short')
          const value = this.u64(field)
          field += 8
          return value
        }
        if (needs[0]) entry.declaredSize = next()
        if (needs[1]) entry.compressedSize = next()
        if (needs[2]) entry.localHeaderOffset = next()
        return
      }
      at += 4 + size
    }
    this.refuse(entry, 'has 32-bit sizes marked zip64 but no zip64 field')
  }

  private u16(at: number): number {
    if (at < 0 || at + 2 > this.bytes.length) this.damaged(`it ends at byte ${this.bytes.length}`)
    return this.view.getUint16(at, true)
  }

  private u32(at: number): number {
    if (at < 0 || at + 4 > this.bytes.length) this.damaged(`it ends at byte ${this.bytes.length}`)
    return this.view.getUint32(at, true)
  }

  private u64(at: number): number {
    if (at < 0 || at + 8 > this.bytes.length) this.damaged(`it ends at byte ${this.bytes.length}`)
    const value = this.view.getBigUint64(at, true)
    // Beyond 2^53 nothing in a file this reader accepts can be addressed.
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.damaged(`a zip64 field of ${value}`)
    return Number(value)
  }

  private damaged(why: string): never {
    throw new FileFormatError(this.file, `not a readable zip archive, truncated or damaged (${why})`)
  }

  refuse(entry: ZipEntry, why: string): never {
    throw new FileFormatError(this.file, `zip entry ${printable(entry.name)} ${why}`)
  }
}
