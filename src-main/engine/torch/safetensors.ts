import { FileFormatError } from '../../errors'

/** A tensor read from or written to a safetensors file, always as float32 here. */
export interface NamedTensor {
  shape: number[]
  data: Float32Array
}

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16'

const bytesPerElement: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 }
/** Headers above this size are taken as a sign that the file is something else (a .pt zip, a text file). */
const largestHeader = 100 * 1024 * 1024

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >> 10) & 0x1f
  const fraction = bits & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024)
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024)
}

function decode(bytes: Buffer, dtype: SafetensorsDtype): Float32Array {
  const count = bytes.length / bytesPerElement[dtype]
  const out = new Float32Array(count)
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4)
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = float16ToFloat32(bytes.readUInt16LE(i * 2))
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

interface HeaderEntry {
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

/**
 * Reads a safetensors file: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
 * then the data. Every problem is one FileFormatError naming the file and what is wrong.
 */
export function readSafetensors(file: string, bytes: Buffer): Map<string, NamedTensor> {
  if (bytes.length < 8) throw new FileFormatError(file, `not a safetensors file: only ${bytes.length} bytes`)
  const headerLength = Number(bytes.readBigUInt64LE(0))
  const firstHeaderByte = bytes.length > 8 ? bytes[8] : undefined
  if (headerLength === 0 || headerLength > largestHeader || firstHeaderByte !== 0x7b) {
    throw new FileFormatError(
      file,
      'not a safetensors file: it does not start with a header length and a JSON header'
    )
  }
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
      `not a safetensors file: its header is not JSON (${(error as Error).message})`
    )
  }
  const dataStart = 8 + headerLength
  const dataLength = bytes.length - dataStart
  const tensors = new Map<string, NamedTensor>()
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue
    const entry = value as HeaderEntry
    if (!entry || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) {
      throw new FileFormatError(file, `tensor ${name}: header entry lacks shape or data_offsets`)
    }
    if (!(entry.dtype in bytesPerElement)) {
      throw new FileFormatError(
        file,
        `tensor ${name} has dtype ${entry.dtype}; only F32, F16 and BF16 are read`
      )
    }
    const dtype = entry.dtype as SafetensorsDtype
    const [begin, end] = entry.data_offsets
    if (end > dataLength) {
      throw new FileFormatError(
        file,
        `tensor ${name} runs past the end of the file (ends at ${end}, data holds ${dataLength} bytes)`
      )
    }
    const elements = entry.shape.reduce((product, size) => product * size, 1)
    if (end - begin !== elements * bytesPerElement[dtype] || begin < 0) {
      throw new FileFormatError(
        file,
        `tensor ${name}: ${end - begin} bytes do not hold shape [${entry.shape}] of ${dtype}`
      )
    }
    const data = decode(bytes.subarray(dataStart + begin, dataStart + end), dtype)
    const nanAt = data.findIndex((element) => Number.isNaN(element))
    if (nanAt >= 0)
      throw new FileFormatError(file, `tensor ${name} has NaN weights (first at element ${nanAt})`)
    tensors.set(name, { shape: [...entry.shape], data })
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
