import avro from 'avsc'
import { FileFormatError } from '../../errors'
import { renderToken } from '../safe-text'

/**
 * The schema each EmbracePlus file embeds, made readable. Two changes to what the file says, both needed
 * for real files (shared/reference/empatica-formats.md, part A):
 * - longs decode as BigInt: systolic-peak times are nanoseconds since 1970 (about 1.7e18), beyond what a
 *   double holds exactly, and avsc's own long refuses them;
 * - field defaults are dropped: 6.3 files give a record field the default {} which avsc rejects, and a
 *   file is decoded with its own schema only, so defaults are never used.
 */

const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(0),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8)
    buffer.writeBigInt64LE(value)
    return buffer
  },
  fromJSON: (value: number | string) => BigInt(value),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1)
})

/** avsc's reading position over a buffer (an internal it hands to every type's _read). */
interface Tap {
  buf: Buffer
  pos: number
  readLong(): number
  skipLong(): void
}

/**
 * An array that refuses to be longer than the bytes left to hold it. avsc takes a block's item count on
 * trust, so a damaged count (a flipped bit in a null-codec file, or a deflate stream inflating to garbage)
 * would have it fill billions of slots past the end of the data before noticing: the import would run out
 * of memory instead of naming the file. Every item of the arrays here (int, long, float) takes a byte at least.
 */
class BoundedArrayType extends avro.types.ArrayType {
  _read(tap: Tap): unknown[] {
    const items = this.itemsType as unknown as { _read(tap: Tap): unknown }
    let values: unknown[] | undefined
    let i = 0
    let n: number
    while ((n = tap.readLong())) {
      if (n < 0) {
        n = -n
        tap.skipLong()
      }
      const left = tap.buf.length - tap.pos
      if (n > left) throw new Error(`an array block of ${n} items in the ${Math.max(0, left)} bytes left`)
      // Sized by the first block, as avsc does (EmbracePlus writes each array as one block).
      values ??= new Array<unknown>(n)
      for (let k = 0; k < n; k++) values[i++] = items._read(tap)
    }
    return values ?? []
  }
}

const FIXED_SIZE_ITEMS = new Set(['int', 'long', 'float', 'double', 'boolean', 'string', 'bytes'])

function boundedArrays(schema: unknown, opts: unknown): avro.Type | undefined {
  const s = schema as { type?: unknown; items?: unknown } | null
  if (
    s &&
    typeof s === 'object' &&
    s.type === 'array' &&
    typeof s.items === 'string' &&
    FIXED_SIZE_ITEMS.has(s.items)
  )
    return new BoundedArrayType(s as avro.Schema, opts)
  return undefined
}

function withoutFieldDefaults(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutFieldDefaults)
  if (schema === null || typeof schema !== 'object') return schema
  const copy: Record<string, unknown> = { ...(schema as Record<string, unknown>) }
  if (Array.isArray(copy.fields)) {
    copy.fields = (copy.fields as Record<string, unknown>[]).map((field) => {
      const { default: _unused, ...rest } = field
      return { ...rest, type: withoutFieldDefaults(field.type) }
    })
  }
  if (copy.items !== undefined) copy.items = withoutFieldDefaults(copy.items)
  if (copy.values !== undefined) copy.values = withoutFieldDefaults(copy.values)
  // A named type may carry a "default" of its own (EmbracePlus writes [] on records); avsc ignores it.
  return copy
}

export const SESSION_SCHEMA_NAME = 'empatica.format.avro.Session'

/** The schema versions this reader knows; a newer minor version is read with the newest rules. */
export const KNOWN_VERSIONS = ['6.3', '6.4', '6.5']

/** The avsc type of an embedded EmbracePlus schema, or a FileFormatError saying why it is not one. */
export function sessionType(schema: unknown, file: string): avro.Type {
  const root = schema as { name?: unknown; namespace?: unknown; fields?: { name?: unknown }[] } | null
  const name =
    typeof root?.name === 'string'
      ? root.name.includes('.') || typeof root.namespace !== 'string'
        ? root.name
        : `${root.namespace}.${root.name}`
      : undefined
  if (name !== SESSION_SCHEMA_NAME)
    throw new FileFormatError(
      file,
      `the embedded schema is ${name === undefined ? 'unnamed' : renderToken(name, 80)}, not ${SESSION_SCHEMA_NAME}: not an EmbracePlus raw-data file`
    )
  const fields = Array.isArray(root?.fields) ? root.fields.map((field) => field?.name) : []
  if (!fields.includes('rawData'))
    throw new FileFormatError(
      file,
      'the embedded schema has no rawData field: not an EmbracePlus raw-data file'
    )
  try {
    return avro.Type.forSchema(withoutFieldDefaults(schema) as avro.Schema, {
      registry: { long: BIGINT_LONG },
      typeHook: boundedArrays
    })
  } catch (error) {
    throw new FileFormatError(file, `the embedded schema is not valid Avro (${(error as Error).message})`)
  }
}

export interface Version {
  major: number
  minor: number
  patch: number
}

export function versionText(version: Version): string {
  return `${version.major}.${version.minor}.${version.patch}`
}

/** Whether `version` is at least major.minor. */
export function atLeast(version: Version, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor)
}
