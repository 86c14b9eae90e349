// A small streaming reader for wheels (zip files). Extracting only what tfjs-node needs from a 274 MB
// wheel must not hold the wheel, or its 788 MB library, in memory, and must not depend on an unzip tool.
import { Buffer } from 'node:buffer'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createInflateRaw } from 'node:zlib'

export class WheelError extends Error {
  name = 'WheelError'
}

const endOfCentralDirectory = 0x06054b50
const zip64Locator = 0x07064b50
const zip64EndOfCentralDirectory = 0x06064b50
const centralFileHeader = 0x02014b50
const localFileHeader = 0x04034b50

async function readAt(handle, position, length) {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  return buffer.subarray(0, bytesRead)
}

/** Lists the entries of a zip file: name, sizes, method and where its local header starts. */
export async function listZip(file) {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    // The end record sits in the last 22 bytes plus up to 64 KiB of comment.
    const tailLength = Math.min(size, 22 + 65535)
    const tail = await readAt(handle, size - tailLength, tailLength)
    let end = -1
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === endOfCentralDirectory) {
        end = i
        break
      }
    }
    if (end < 0) throw new WheelError(`${file} is not a zip file (no end-of-central-directory record)`)
    let count = tail.readUInt16LE(end + 10)
    let directorySize = tail.readUInt32LE(end + 12)
    let directoryOffset = tail.readUInt32LE(end + 16)
    if (end >= 20 && tail.readUInt32LE(end - 20) === zip64Locator) {
      const zip64Offset = Number(tail.readBigUInt64LE(end - 20 + 8))
      const record = await readAt(handle, zip64Offset, 56)
      if (record.readUInt32LE(0) !== zip64EndOfCentralDirectory)
        throw new WheelError(`${file}: broken zip64 record`)
      count = Number(record.readBigUInt64LE(32))
      directorySize = Number(record.readBigUInt64LE(40))
      directoryOffset = Number(record.readBigUInt64LE(48))
    }
    if (directoryOffset + directorySize > size)
      throw new WheelError(`${file} is truncated (central directory past its end)`)
    const directory = await readAt(handle, directoryOffset, directorySize)
    const entries = []
    let at = 0
    for (let i = 0; i < count; i++) {
      if (directory.readUInt32LE(at) !== centralFileHeader)
        throw new WheelError(`${file}: broken central directory`)
      const method = directory.readUInt16LE(at + 10)
      let compressedSize = directory.readUInt32LE(at + 20)
      let size = directory.readUInt32LE(at + 24)
      const nameLength = directory.readUInt16LE(at + 28)
      const extraLength = directory.readUInt16LE(at + 30)
      const commentLength = directory.readUInt16LE(at + 32)
      let headerOffset = directory.readUInt32LE(at + 42)
      const name = directory.toString('utf8', at + 46, at + 46 + nameLength)
      // Zip64 extra field: the 64-bit values appear in this order, only for fields saturated at 0xffffffff.
      let extra = at + 46 + nameLength
      const extraEnd = extra + extraLength
      while (extra + 4 <= extraEnd) {
        const id = directory.readUInt16LE(extra)
        const length = directory.readUInt16LE(extra + 2)
        if (id === 0x0001) {
          let field = extra + 4
          if (size === 0xffffffff) {
            size = Number(directory.readBigUInt64LE(field))
            field += 8
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = Number(directory.readBigUInt64LE(field))
            field += 8
          }
          if (headerOffset === 0xffffffff) headerOffset = Number(directory.readBigUInt64LE(field))
        }
        extra += 4 + length
      }
      entries.push({ name, method, compressedSize, size, headerOffset })
      at = extraEnd + commentLength
    }
    return entries
  } finally {
    await handle.close()
  }
}

/** Writes one entry to `destination`, inflating as it streams. */
export async function extractEntry(file, entry, destination) {
  const handle = await open(file, 'r')
  let dataStart
  try {
    const header = await readAt(handle, entry.headerOffset, 30)
    if (header.length < 30 || header.readUInt32LE(0) !== localFileHeader) {
      throw new WheelError(`${file}: broken local header for ${entry.name}`)
    }
    dataStart = entry.headerOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
  } finally {
    await handle.close()
  }
  await mkdir(dirname(destination), { recursive: true })
  if (entry.compressedSize === 0) {
    await (await open(destination, 'w')).close()
    return
  }
  const source = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 })
  const target = createWriteStream(destination)
  if (entry.method === 0) await pipeline(source, target)
  else if (entry.method === 8) await pipeline(source, createInflateRaw(), target)
  else
    throw new WheelError(
      `${file}: ${entry.name} uses zip method ${entry.method}, which this reader does not know`
    )
}

/** Extracts every entry under `prefix` (a folder inside the zip) into `destination`, keeping relative paths. */
export async function extractFolder(file, entries, prefix, destination) {
  for (const entry of entries) {
    if (!entry.name.startsWith(prefix) || entry.name.endsWith('/')) continue
    const relative = entry.name.slice(prefix.length)
    if (relative.split('/').includes('..')) throw new WheelError(`${file}: unsafe path ${entry.name}`)
    await extractEntry(file, entry, join(destination, relative))
  }
}
