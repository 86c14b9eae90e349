import { inflateRawSync } from 'node:zlib'
import avro from 'avsc'
import { FileFormatError } from '../../errors'
import { renderToken } from '../safe-text'

/**
 * An Avro Object Container File read whole and at once, with avsc's types for the header, the blocks and the
 * records. avsc's own file decoder is a stream whose errors arrive as events and which ends quietly on a file
 * cut short; an import must say, synchronously and with the file's name, that a file was truncated.
 */

const MAGIC = Buffer.from('Obj\x01', 'latin1')

// The container's framing, as the Avro specification defines it (the same schemas avsc's decoder uses).
const CONTAINER = { namespace: 'org.apache.avro.file' }
const HEADER = avro.Type.forSchema(
  {
    name: 'Header',
    type: 'record',
    fields: [
      { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
      { name: 'meta', type: { type: 'map', values: 'bytes' } },
      { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } }
    ]
  },
  CONTAINER
)
const BLOCK_COUNT = avro.Type.forSchema('long')
const BLOCK_BYTES = avro.Type.forSchema('bytes')

/** What the container says about itself: the schema as written, and the codec. */
export interface ContainerHeader {
  schema: unknown
  codec: string
}

export interface AvroContainer extends ContainerHeader {
  records: unknown[]
}

const CODECS: Record<string, (data: Buffer) => Buffer> = {
  null: (data) => data,
  deflate: (data) => inflateRawSync(data)
}

/** The header of a container file, or a FileFormatError naming the file. */
export function readContainerHeader(
  buffer: Buffer,
  file: string
): ContainerHeader & { offset: number; sync: Buffer } {
  if (buffer.length < MAGIC.length || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    const found = buffer.subarray(0, Math.min(4, buffer.length))
    throw new FileFormatError(
      file,
      `not an Avro container file (starts with ${renderToken(found)}, expected "Obj\\x01")`
    )
  }
  let decoded: { value: { meta: Record<string, Buffer>; sync: Buffer } | undefined; offset: number }
  try {
    decoded = HEADER.decode(buffer, 0)
  } catch (error) {
    throw new FileFormatError(file, `damaged Avro header (${(error as Error).message})`)
  }
  if (decoded.offset < 0 || !decoded.value)
    throw new FileFormatError(file, 'truncated inside the Avro header')
  const { meta, sync } = decoded.value
  const codec = meta['avro.codec']?.toString('utf8') ?? 'null'
  const schemaBytes = meta['avro.schema']
  if (!schemaBytes) throw new FileFormatError(file, 'the Avro header has no avro.schema')
  let schema: unknown
  try {
    schema = JSON.parse(schemaBytes.toString('utf8'))
  } catch (error) {
    throw new FileFormatError(file, `the embedded schema is not JSON (${(error as Error).message})`)
  }
  return { schema, codec, offset: decoded.offset, sync }
}

/**
 * Every record of a container file, decoded with `type` (made from the embedded schema by the caller).
 * Refuses an unknown codec, a block cut short, a sync marker that does not match the header's, and bytes
 * left over in a block.
 */
export function readContainer(
  buffer: Buffer,
  file: string,
  typeOf: (schema: unknown) => avro.Type
): AvroContainer {
  const header = readContainerHeader(buffer, file)
  const decompress = CODECS[header.codec]
  if (!decompress)
    throw new FileFormatError(
      file,
      `unknown Avro codec ${renderToken(header.codec)} (null and deflate are read)`
    )
  const type = typeOf(header.schema)
  const records: unknown[] = []
  let offset = header.offset
  let block = 0
  while (offset < buffer.length) {
    const at = `block ${block + 1}`
    const count = BLOCK_COUNT.decode(buffer, offset)
    const data = count.offset < 0 ? count : BLOCK_BYTES.decode(buffer, count.offset)
    if (count.offset < 0 || data.offset < 0 || data.offset + 16 > buffer.length)
      throw new FileFormatError(file, `truncated in ${at} (${buffer.length} bytes; the file was cut short?)`)
    if (!buffer.subarray(data.offset, data.offset + 16).equals(header.sync))
      throw new FileFormatError(file, `${at}: the sync marker does not match the header's (damaged file)`)
    let raw: Buffer
    try {
      raw = decompress(data.value as Buffer)
    } catch (error) {
      throw new FileFormatError(
        file,
        `${at}: ${header.codec} data cannot be inflated (${(error as Error).message})`
      )
    }
    const n = Number(count.value)
    let position = 0
    for (let k = 0; k < n; k++) {
      let record: { value: unknown; offset: number }
      try {
        record = type.decode(raw, position)
      } catch (error) {
        throw new FileFormatError(file, `${at}, record ${k + 1}: ${(error as Error).message}`)
      }
      if (record.offset < 0) throw new FileFormatError(file, `${at}, record ${k + 1}: truncated`)
      records.push(record.value)
      position = record.offset
    }
    if (position !== raw.length)
      throw new FileFormatError(
        file,
        `${at}: ${raw.length - position} bytes after its ${n} records (damaged file)`
      )
    offset = data.offset + 16
    block++
  }
  return { ...header, records }
}
