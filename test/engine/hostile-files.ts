import { crc32, deflateRawSync, constants as zlibConstants } from 'node:zlib'

/**
 * Builders of torch.save archives and safetensors files byte by byte, independently of the readers under test,
 * so that a test can write exactly the lie it wants (a declared size, a stride, an offset) into a file.
 */

export interface PickledTensor {
  name: string
  storage: { key: string; type?: string; numel: number | bigint }
  offset?: number | bigint
  size: (number | bigint)[]
  stride: (number | bigint)[]
}

function pickleInt(value: number | bigint, wide = false): Buffer {
  const n = BigInt(value)
  if (!wide && n >= 0n && n < 256n) return Buffer.from([0x4b, Number(n)]) // BININT1
  if (n >= -(2n ** 31n) && n < 2n ** 31n) {
    const out = Buffer.alloc(5)
    out[0] = 0x4a // BININT
    out.writeInt32LE(Number(n), 1)
    return out
  }
  // LONG1: little-endian two's complement, as short as the sign allows.
  const bytes: number[] = []
  let rest = n
  for (;;) {
    const byte = Number(rest & 0xffn)
    bytes.push(byte)
    rest >>= 8n
    if ((rest === 0n && !(byte & 0x80)) || (rest === -1n && byte & 0x80)) break
  }
  return Buffer.from([0x8a, bytes.length, ...bytes])
}

const unicode = (text: string): Buffer => {
  const bytes = Buffer.from(text, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32LE(bytes.length)
  return Buffer.concat([Buffer.from([0x58]), length, bytes]) // BINUNICODE
}
const global = (module: string, name: string): Buffer => Buffer.from(`c${module}\n${name}\n`, 'latin1')
const MARK = Buffer.from([0x28])
const TUPLE = Buffer.from([0x74])
const EMPTY_TUPLE = Buffer.from([0x29])
const REDUCE = Buffer.from([0x52])
const ordered = Buffer.concat([global('collections', 'OrderedDict'), EMPTY_TUPLE, REDUCE])

/**
 * The data.pkl torch.save writes for a state_dict of these tensors (protocol 2, without the memo). `wide`
 * writes every integer as a 4-byte BININT, which torch also does for values from 256 on.
 */
export function stateDictPickle(tensors: PickledTensor[], wide = false): Buffer {
  const int = (value: number | bigint) => pickleInt(value, wide)
  const parts: Buffer[] = [Buffer.from([0x80, 0x02]), ordered, MARK]
  for (const tensor of tensors) {
    parts.push(unicode(tensor.name), global('torch._utils', '_rebuild_tensor_v2'), MARK)
    parts.push(MARK, unicode('storage'), global('torch', tensor.storage.type ?? 'FloatStorage'))
    parts.push(unicode(tensor.storage.key), unicode('cpu'), int(tensor.storage.numel), TUPLE)
    parts.push(Buffer.from([0x51])) // BINPERSID
    parts.push(int(tensor.offset ?? 0))
    parts.push(MARK, ...tensor.size.map(int), TUPLE, MARK, ...tensor.stride.map(int), TUPLE)
    parts.push(Buffer.from([0x89]), ordered, TUPLE, REDUCE) // requires_grad False, backward hooks
  }
  parts.push(Buffer.from([0x75, 0x2e])) // SETITEMS, STOP
  return Buffer.concat(parts)
}

export interface ZipInput {
  name: string
  /** What the entry inflates to; leave out with `compressed` to write a stream without materializing it. */
  data?: Uint8Array
  /** 0 stored, 8 deflated. */
  method?: 0 | 8
  compressed?: Uint8Array
  /** The uncompressed size written into both headers; by default the true one. */
  declaredSize?: number
  crc?: number
}

/** A plain (non-zip64) zip archive of these entries, in this order. */
export function zipArchive(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const method = entry.method ?? 0
    const data = entry.data ?? new Uint8Array(0)
    const compressed = entry.compressed ?? (method === 8 ? deflateRawSync(data) : data)
    const declared = entry.declaredSize ?? data.length
    const crc = entry.crc ?? crc32(data)
    const name = Buffer.from(entry.name, 'utf8')
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x800, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(crc >>> 0, 14)
    local.writeUInt32LE(compressed.length, 18)
    local.writeUInt32LE(declared, 22)
    local.writeUInt16LE(name.length, 26)
    locals.push(local, name, Buffer.from(compressed))
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x800, 8)
    central.writeUInt16LE(method, 10)
    central.writeUInt32LE(crc >>> 0, 16)
    central.writeUInt32LE(compressed.length, 20)
    central.writeUInt32LE(declared, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += 30 + name.length + compressed.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/**
 * A raw deflate stream that inflates to `bytes` zeros (a multiple of 16 MiB) from about a thousandth of that:
 * sync-flushed segments end on a byte boundary and refer only to themselves, so they can be repeated.
 */
export function zeroBomb(bytes: number): Buffer {
  const segmentBytes = 16 * 1024 * 1024
  const segment = deflateRawSync(Buffer.alloc(segmentBytes), {
    level: 9,
    finishFlush: zlibConstants.Z_SYNC_FLUSH
  })
  const final = Buffer.from([0x03, 0x00]) // an empty final block with fixed codes
  return Buffer.concat([...new Array<Buffer>(Math.ceil(bytes / segmentBytes)).fill(segment), final])
}

export function float32Bytes(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4)
  values.forEach((value, i) => out.writeFloatLE(value, i * 4))
  return out
}

/** A torch.save archive: `archive/data.pkl`, `archive/byteorder`, the storages and `archive/version`. */
export function torchArchive(
  tensors: PickledTensor[],
  storages: ZipInput[],
  options: { pickle?: Buffer; extra?: ZipInput[] } = {}
): Buffer {
  return zipArchive([
    { name: 'archive/data.pkl', data: options.pickle ?? stateDictPickle(tensors) },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    ...storages,
    ...(options.extra ?? []),
    { name: 'archive/version', data: Buffer.from('3\n') }
  ])
}

/** A small, valid state_dict: a 2x3 float32 weight and a 3-element half bias, each in its own storage. */
export function smallTorchFile(): Buffer {
  const half = Buffer.alloc(6)
  ;[0x3c00, 0xc000, 0x3800].forEach((bits, i) => half.writeUInt16LE(bits, i * 2))
  return torchArchive(
    [
      { name: 'fc.weight', storage: { key: '0', numel: 6 }, size: [2, 3], stride: [3, 1] },
      { name: 'fc.bias', storage: { key: '1', type: 'HalfStorage', numel: 3 }, size: [3], stride: [1] }
    ],
    [
      { name: 'archive/data/0', data: float32Bytes([1, 2, 3, 4, 5, 6]) },
      { name: 'archive/data/1', data: half }
    ]
  )
}

export interface RawSafetensorsEntry {
  dtype: string
  shape: unknown
  data_offsets: unknown
}

/** A safetensors file with exactly this header (whatever it claims) and these data bytes. */
export function rawSafetensors(header: Record<string, RawSafetensorsEntry | unknown>, data: Buffer): Buffer {
  const text = Buffer.from(JSON.stringify(header), 'utf8')
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(text.length))
  return Buffer.concat([length, text, data])
}

/** A small, valid safetensors file: a 2x2 float32 weight and a 2-element half bias. */
export function smallSafetensorsFile(): Buffer {
  const half = Buffer.alloc(4)
  half.writeUInt16LE(0x3c00, 0)
  half.writeUInt16LE(0xc000, 2)
  return rawSafetensors(
    {
      'fc.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      'fc.bias': { dtype: 'F16', shape: [2], data_offsets: [16, 20] }
    },
    Buffer.concat([float32Bytes([1, -2, 3.5, 4]), half])
  )
}

/** The message of what `read` threw, or of a failure when it did not throw. */
export function errorOf(read: () => unknown): Error {
  try {
    read()
  } catch (error) {
    return error as Error
  }
  return new Error('it did not throw')
}
