import { unzipSync, type UnzipFileInfo } from 'fflate'
import { FileFormatError } from '../../errors'
import { unpickle, type PickleResolver } from './pickle'
import { readSafetensors, type NamedTensor } from './safetensors'

interface StorageType {
  bytesPerElement: number
  read(view: DataView, index: number): number
}

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >> 10) & 0x1f
  const fraction = bits & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024)
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024)
}

/** The typed storages torch.save names in a persistent id (torch 1.13 and 2.x both write these names). */
const storageTypes: Record<string, StorageType> = {
  FloatStorage: { bytesPerElement: 4, read: (view, i) => view.getFloat32(i * 4, true) },
  DoubleStorage: { bytesPerElement: 8, read: (view, i) => view.getFloat64(i * 8, true) },
  HalfStorage: { bytesPerElement: 2, read: (view, i) => float16ToFloat32(view.getUint16(i * 2, true)) },
  // bfloat16 is the top half of a float32.
  BFloat16Storage: {
    bytesPerElement: 2,
    read: (view, i) => uint32AsFloat(view.getUint16(i * 2, true) << 16)
  },
  LongStorage: { bytesPerElement: 8, read: (view, i) => Number(view.getBigInt64(i * 8, true)) },
  IntStorage: { bytesPerElement: 4, read: (view, i) => view.getInt32(i * 4, true) },
  ShortStorage: { bytesPerElement: 2, read: (view, i) => view.getInt16(i * 2, true) },
  CharStorage: { bytesPerElement: 1, read: (view, i) => view.getInt8(i) },
  ByteStorage: { bytesPerElement: 1, read: (view, i) => view.getUint8(i) },
  BoolStorage: { bytesPerElement: 1, read: (view, i) => (view.getUint8(i) ? 1 : 0) }
}

const wordView = new DataView(new ArrayBuffer(4))
function uint32AsFloat(word: number): number {
  wordView.setUint32(0, word >>> 0)
  return wordView.getFloat32(0)
}

/** Values the resolver hands back to the unpickler; only these and plain data can appear in a state_dict. */
class TorchGlobal {
  constructor(readonly qualifiedName: string) {}
}
class StorageRef {
  constructor(
    readonly key: string,
    readonly data: Float32Array
  ) {}
}
class TorchTensor {
  constructor(readonly tensor: NamedTensor) {}
}

const allowedGlobals = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(storageTypes).map((name) => `torch.${name}`)
])

function isNonNegativeIntegerList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => Number.isSafeInteger(item) && (item as number) >= 0)
}

/** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...): copies a strided view densely. */
function rebuildTensor(args: unknown[], fail: (message: string) => never): TorchTensor {
  const [storage, offset, size, stride] = args
  if (!(storage instanceof StorageRef)) fail('_rebuild_tensor_v2 without a storage')
  const data = (storage as StorageRef).data
  if (!Number.isSafeInteger(offset) || (offset as number) < 0)
    fail('_rebuild_tensor_v2 with a bad storage offset')
  if (!isNonNegativeIntegerList(size) || !isNonNegativeIntegerList(stride) || size.length !== stride.length) {
    fail('_rebuild_tensor_v2 with a size and stride that do not match')
  }
  const shape = size as number[]
  const strides = stride as number[]
  const count = shape.reduce((product, length) => product * length, 1)
  const start = offset as number
  const last = shape.reduce((sum, length, axis) => sum + (length - 1) * strides[axis], start)
  if (count > 0 && last >= data.length) {
    fail(
      `a tensor of shape [${shape}] at offset ${start} reaches element ${last} of storage ` +
        `${(storage as StorageRef).key}, which holds ${data.length}`
    )
  }
  const out = new Float32Array(count)
  const index = new Array<number>(shape.length).fill(0)
  for (let i = 0; i < count; i++) {
    let source = start
    for (let axis = 0; axis < shape.length; axis++) source += index[axis] * strides[axis]
    out[i] = data[source]
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++index[axis] < shape[axis]) break
      index[axis] = 0
    }
  }
  return new TorchTensor({ shape: [...shape], data: out })
}

interface TorchArchive {
  prefix: string
  pickle: Buffer
  entries: Record<string, Uint8Array>
}

function openArchive(file: string, bytes: Buffer): TorchArchive {
  let entries: Record<string, Uint8Array>
  try {
    // Only what a state_dict reads is inflated, so an odd entry cannot cost memory.
    entries = unzipSync(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), {
      filter: (info: UnzipFileInfo) => /^[^/]+\/(data\.pkl|byteorder|data\/[^/]+)$/.test(info.name)
    })
  } catch (error) {
    throw new FileFormatError(
      file,
      `not a readable zip archive, truncated or damaged (${(error as Error).message})`
    )
  }
  const pickles = Object.keys(entries).filter((name) => name.endsWith('/data.pkl'))
  if (pickles.length !== 1) {
    throw new FileFormatError(
      file,
      pickles.length === 0
        ? 'a zip archive without <name>/data.pkl: not a torch.save file (TorchScript archives are not read)'
        : 'a zip archive with more than one data.pkl'
    )
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length)
  const byteorder = entries[`${prefix}byteorder`]
  if (byteorder && Buffer.from(byteorder).toString('utf8').trim() !== 'little') {
    throw new FileFormatError(
      file,
      'its tensors are stored big-endian; re-save it on a little-endian machine'
    )
  }
  return { prefix, pickle: Buffer.from(entries[pickles[0]]), entries }
}

/**
 * Reads a state_dict written by torch.save (the zip format of torch >= 1.6) without running anything from
 * it: data.pkl goes through a restricted unpickler that knows only OrderedDict, the tensor rebuilders and the
 * typed storages, and anything else is refused by name.
 * Tensors come back as float32, whatever their stored type.
 */
export function readTorchPt(file: string, bytes: Buffer): Map<string, NamedTensor> {
  const archive = openArchive(file, bytes)
  const storages = new Map<string, StorageRef>()

  const loadStorage = (id: unknown, fail: (message: string) => never): StorageRef => {
    if (!Array.isArray(id) || id.length !== 5 || id[0] !== 'storage')
      fail('a persistent id that is not a storage')
    const [, type, key, , numel] = id as [string, unknown, unknown, unknown, unknown]
    if (!(type instanceof TorchGlobal) || typeof key !== 'string' || !Number.isSafeInteger(numel)) {
      fail('a storage id without a storage type, key and element count')
    }
    const storageName = (type as TorchGlobal).qualifiedName.replace(/^torch\./, '')
    const storageType = storageTypes[storageName]
    if (!storageType) fail(`${(type as TorchGlobal).qualifiedName} is not a storage type`)
    const cached = storages.get(key as string)
    if (cached) return cached
    const raw = archive.entries[`${archive.prefix}data/${key as string}`]
    if (!raw) fail(`storage ${key as string} is not in the archive`)
    const expected = (numel as number) * storageType.bytesPerElement
    if (raw.length !== expected) {
      fail(
        `storage ${key as string} holds ${raw.length} bytes; ` +
          `${numel as number} ${storageName} elements need ${expected}`
      )
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length)
    const data = new Float32Array(numel as number)
    for (let i = 0; i < data.length; i++) data[i] = storageType.read(view, i)
    const storage = new StorageRef(key as string, data)
    storages.set(key as string, storage)
    return storage
  }

  const failAt =
    (at: number) =>
    (message: string): never => {
      throw new FileFormatError(file, `pickle byte ${at}: ${message}`)
    }
  const resolver: PickleResolver = {
    global(module, name, at) {
      const qualifiedName = `${module}.${name}`
      if (!allowedGlobals.has(qualifiedName)) {
        failAt(at)(`refers to ${qualifiedName}, which a state_dict never needs; nothing was run`)
      }
      return new TorchGlobal(qualifiedName)
    },
    call(callable, args, at) {
      const fail = failAt(at)
      const name = callable instanceof TorchGlobal ? callable.qualifiedName : undefined
      if (name === 'collections.OrderedDict') {
        if (args.length > 0) fail('OrderedDict called with arguments')
        return new Map()
      }
      if (name === 'torch._utils._rebuild_tensor_v2') return rebuildTensor(args, fail)
      if (name === 'torch._utils._rebuild_parameter') {
        if (!(args[0] instanceof TorchTensor)) fail('_rebuild_parameter without a tensor')
        return args[0]
      }
      return fail(`calls ${name ?? 'something that is not a global'}, which a state_dict never does`)
    },
    persistent(id, at) {
      return loadStorage(id, failAt(at))
    },
    build(target, state, at) {
      // OrderedDict's state is the state_dict's _metadata (module versions): not needed to read weights.
      if (target instanceof Map && (state instanceof Map || state === null)) return target
      return failAt(at)('BUILD on something other than an OrderedDict')
    }
  }

  const root = unpickle(file, archive.pickle, resolver)
  if (!(root instanceof Map)) {
    throw new FileFormatError(file, 'data.pkl does not hold a dict: save model.state_dict(), not the model')
  }
  const tensors = new Map<string, NamedTensor>()
  for (const [key, value] of root) {
    if (typeof key !== 'string')
      throw new FileFormatError(file, 'the state_dict has a key that is not a string')
    if (!(value instanceof TorchTensor)) {
      throw new FileFormatError(
        file,
        `entry ${key} is not a tensor: save model.state_dict() itself, not a checkpoint holding it`
      )
    }
    const nanAt = value.tensor.data.findIndex((element) => Number.isNaN(element))
    if (nanAt >= 0)
      throw new FileFormatError(file, `tensor ${key} has NaN weights (first at element ${nanAt})`)
    tensors.set(key, value.tensor)
  }
  return tensors
}

const zipSignature = [0x50, 0x4b, 0x03, 0x04]

/**
 * Reads a state_dict from safetensors or torch.save's zip format, told apart by their first bytes rather than
 * the file name. A pickle at the start means the legacy format of torch < 1.6, which is refused.
 */
export function readStateDictFile(file: string, bytes: Buffer): Map<string, NamedTensor> {
  if (zipSignature.every((byte, i) => bytes[i] === byte)) return readTorchPt(file, bytes)
  if (bytes[0] === 0x80) {
    throw new FileFormatError(
      file,
      'a legacy torch.save file (torch < 1.6, not a zip archive); re-save it with a current torch ' +
        '(torch.save(model.state_dict(), f)) or as safetensors'
    )
  }
  return readSafetensors(file, bytes)
}
