import { FileFormatError } from '../../errors'
import { printable, printableList, stateDictLimits, type StateDictLimits } from './limits'
import { float16Value } from '../formats/float16'

/** A tensor read from or written to a safetensors file, always as float32 here. */
export interface NamedTensor {
  shape: number[]
  data: Float32Array
}

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16'

const bytesPerElement: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 }
/** Headers above this size are taken as a sign that the file is something else (a .pt zip, a text file). */
const largestHeader = 100 * 1024 * 1024

function decode(bytes: Buffer, dtype: SafetensorsDtype): Float32Array {
  const count = bytes.length / bytesPerElement[dtype]
  const out = new Float32Array(count)
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4)
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = float16Value(bytes.readUInt16LE(i * 2))
  } else {
    // bfloat16 is the top half of a float32.
    const word = new Uint32Array(1)
    const view = new Float32Array(word.buffer)
    for (let i = 0; i < count; i++) {
      word[0] = bytes.readUInt16LE(i * 2) << 16
      out[i] = view[0]
    }
  }
  return out
}

function isSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

interface Placed {
  name: string
  dtype: SafetensorsDtype
  shape: number[]
  begin: number
  end: number
}

/**
 * Reads a safetensors file: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
 * then the data. Every problem is one FileFormatError naming the file and what is wrong. Every entry is
 * checked (integer shape and offsets, inside the data, bytes matching the shape, no two tensors sharing
 * bytes, each under the per-tensor cap) before anything is decoded, so the file's bytes bound what is
 * allocated.
 */
export function readSafetensors(
  file: string,
  bytes: Buffer,
  overrides: Partial<StateDictLimits> = {}
): Map<string, NamedTensor> {
  const limits = stateDictLimits(overrides)
  if (bytes.length < 8) throw new FileFormatError(file, `not a safetensors file: only ${bytes.length} bytes`)
  const declaredHeader = bytes.readBigUInt64LE(0)
  const firstHeaderByte = bytes.length > 8 ? bytes[8] : undefined
  if (declaredHeader === 0n || declaredHeader > BigInt(largestHeader) || firstHeaderByte !== 0x7b) {
    throw new FileFormatError(
      file,
      'not a safetensors file: it does not start with a header length and a JSON header'
    )
  }
  const headerLength = Number(declaredHeader)
  if (8 + headerLength > bytes.length) {
    throw new FileFormatError(
      file,
      `truncated header: it declares ${headerLength} bytes but the file has ${bytes.length - 8} after the length`
    )
  }
  let header: Record<string, unknown>
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>
  } catch (error) {
    throw new FileFormatError(
      file,
      `not a safetensors file: its header is not JSON (${printable((error as Error).message)})`
    )
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new FileFormatError(file, 'not a safetensors file: its header is not a JSON object')
  const dataStart = 8 + headerLength
  const dataLength = bytes.length - dataStart
  const placed: Placed[] = []
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue
    const fail = (message: string): never => {
      throw new FileFormatError(file, `tensor ${printable(name)}${message}`)
    }
    const entry = value as Record<string, unknown> | null
    if (
      !entry ||
      typeof entry !== 'object' ||
      !Array.isArray(entry.shape) ||
      !Array.isArray(entry.data_offsets)
    ) {
      fail(': header entry lacks shape or data_offsets')
    }
    const {
      dtype,
      shape,
      data_offsets: offsets
    } = entry as { dtype: unknown; shape: unknown[]; data_offsets: unknown[] }
    if (typeof dtype !== 'string' || !Object.hasOwn(bytesPerElement, dtype)) {
      fail(` has dtype ${printable(String(dtype))}; only F32, F16 and BF16 are read`)
    }
    if (!shape.every(isSize)) fail(`: shape ${printableList(shape)} is not a list of non-negative integers`)
    if (offsets.length !== 2 || !offsets.every(isSize))
      fail(': data_offsets are not two non-negative integers')
    const [begin, end] = offsets as [number, number]
    if (end > dataLength) {
      fail(` runs past the end of the file (ends at ${end}, data holds ${dataLength} bytes)`)
    }
    const elements = (shape as number[]).reduce((product, size) => product * size, 1)
    const type = dtype as SafetensorsDtype
    // A product beyond 2^53 is inexact, but then it is far beyond any byte range and refused either way.
    if (begin > end || end - begin !== elements * bytesPerElement[type]) {
      fail(`: ${end - begin} bytes do not hold shape ${printableList(shape)} of ${type}`)
    }
    if (elements > limits.largestTensorElements)
      fail(
        `: shape ${printableList(shape)} is ${elements} elements, more than one tensor may allocate ` +
          `(${limits.largestTensorElements})`
      )
    placed.push({ name, dtype: type, shape: shape as number[], begin, end })
  }
  // Tensors sharing bytes would let a small file decode into many copies of itself.
  let reach = 0
  let reachedBy = ''
  for (const tensor of [...placed].sort((a, b) => a.begin - b.begin)) {
    if (tensor.end === tensor.begin) continue
    if (tensor.begin < reach) {
      throw new FileFormatError(
        file,
        `tensor ${printable(tensor.name)} overlaps the bytes of tensor ${printable(reachedBy)}`
      )
    }
    reach = tensor.end
    reachedBy = tensor.name
  }
  const tensors = new Map<string, NamedTensor>()
  for (const { name, dtype, shape, begin, end } of placed) {
    const data = decode(bytes.subarray(dataStart + begin, dataStart + end), dtype)
    const nanAt = data.findIndex((element) => Number.isNaN(element))
    if (nanAt >= 0)
      throw new FileFormatError(file, `tensor ${printable(name)} has NaN weights (first at element ${nanAt})`)
    tensors.set(name, { shape: [...shape], data })
  }
  return tensors
}

/** Writes float32 tensors as safetensors, names sorted, the header padded to 8 bytes as the reference writer does. */
export function writeSafetensors(
  tensors: Map<string, NamedTensor>,
  metadata?: Record<string, string>
): Buffer {
  const names = [...tensors.keys()].sort()
  const header: Record<string, unknown> = {}
  if (metadata) header.__metadata__ = metadata
  let offset = 0
  for (const name of names) {
    const tensor = tensors.get(name) as NamedTensor
    const length = tensor.data.length * 4
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + length] }
    offset += length
  }
  let headerText = JSON.stringify(header)
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8)
  const headerBytes = Buffer.from(headerText, 'utf8')
  const out = Buffer.alloc(8 + headerBytes.length + offset)
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0)
  headerBytes.copy(out, 8)
  let position = 8 + headerBytes.length
  for (const name of names) {
    const data = (tensors.get(name) as NamedTensor).data
    for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], position + i * 4)
    position += data.length * 4
  }
  return out
}
