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
      registry: { long: BIGINT_LONG }
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
