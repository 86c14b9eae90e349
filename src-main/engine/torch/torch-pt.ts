import { FileFormatError } from '../../errors'
import { printable, printableList, stateDictLimits, type StateDictLimits } from './limits'
import { unpickle, type PickleResolver } from './pickle'
import { readSafetensors, type NamedTensor } from './safetensors'
import { ZipArchive, type ZipEntry } from './zip-archive'
import { float16Value } from '../formats/float16'

interface StorageType {
  bytesPerElement: number
  read(view: DataView, index: number): number
}

/** The typed storages torch.save names in a persistent id (torch 1.13 and 2.x both write these names). */
const storageTypes: Record<string, StorageType> = {
  FloatStorage: { bytesPerElement: 4, read: (view, i) => view.getFloat32(i * 4, true) },
  DoubleStorage: { bytesPerElement: 8, read: (view, i) => view.getFloat64(i * 8, true) },
  HalfStorage: { bytesPerElement: 2, read: (view, i) => float16Value(view.getUint16(i * 2, true)) },
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
/** A storage a persistent id names: checked against the zip directory, not read until a tensor needs it. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly typeName: string,
    readonly type: StorageType,
    readonly numel: number,
    readonly entry: ZipEntry
  ) {}
}
/** _rebuild_tensor_v2's arguments as the pickle gave them; checked once the tensor's name is known. */
class TorchTensor {
  constructor(
    readonly storage: StorageRef,
    readonly offset: unknown,
    readonly size: unknown,
    readonly stride: unknown
  ) {}
}

const allowedGlobals = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(storageTypes).map((name) => `torch.${name}`)
])

// A state_dict's pickle takes ~100 bytes per tensor: 16 MiB is some 160,000 tensors.
const largestPickleBytes = 16 * 1024 * 1024
// torch writes "little" or "big".
const largestByteorderBytes = 16
// torch names storages by number; anything that could be a path is not a storage key.
const storageKeyPattern = /^[A-Za-z0-9_-]{1,64}$/

function isNonNegativeIntegerList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => Number.isSafeInteger(item) && (item as number) >= 0)
}

/** A tensor's layout, checked to lie inside its storage with no more elements than the storage holds. */
interface Layout {
  storage: StorageRef
  offset: number
  shape: number[]
  strides: number[]
  count: number
}

function layoutOf(tensor: TorchTensor, largestElements: number, fail: (message: string) => never): Layout {
  const { storage, offset, size, stride } = tensor
  if (!Number.isSafeInteger(offset) || (offset as number) < 0)
    fail('its storage offset is not a non-negative integer below 2^53')
  if (!isNonNegativeIntegerList(size) || !isNonNegativeIntegerList(stride) || size.length !== stride.length) {
    fail('its size and stride are not two equally long lists of non-negative integers below 2^53')
  }
  const start = offset as number
  const shape = size as number[]
  const strides = stride as number[]
  const where = `storage ${storage.key} (${storage.numel} elements)`
  if (start > storage.numel) fail(`its storage offset ${start} is past the end of ${where}`)
  // Doubles cannot overflow into a wrong small number here: a product too large to be exact is still far
  // larger than any storage, so it is refused either way.
  const count = shape.reduce((product, length) => product * length, 1)
  if (count > 0) {
    const last = shape.reduce((sum, length, axis) => sum + (length - 1) * strides[axis], start)
    if (last >= storage.numel)
      fail(
        `shape ${printableList(shape)} with strides ${printableList(strides)} from offset ${start} reaches ` +
          `past the end of ${where}`
      )
  }
  if (count > storage.numel) {
    fail(
      `shape ${printableList(shape)} is ${count} elements but ${where} holds fewer: strides ` +
        `${printableList(strides)} read elements ` +
        'more than once (a stride-0 or overlapping view), which a state_dict never needs'
    )
  }
  if (count > largestElements)
    fail(
      `shape ${printableList(shape)} is ${count} elements, more than one tensor may allocate (${largestElements})`
    )
  return { storage, offset: start, shape, strides, count }
}

/** Copies a strided view densely, reading the storage's bytes in its own type. */
function gather(layout: Layout, bytes: Uint8Array): Float32Array {
  const { shape, strides, count, storage } = layout
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(count)
  const index = new Array<number>(shape.length).fill(0)
  for (let i = 0; i < count; i++) {
    let source = layout.offset
    for (let axis = 0; axis < shape.length; axis++) source += index[axis] * strides[axis]
    out[i] = storage.type.read(view, source)
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++index[axis] < shape[axis]) break
      index[axis] = 0
    }
  }
  return out
}

interface TorchArchive {
  zip: ZipArchive
  prefix: string
  pickle: Buffer
}

function openArchive(file: string, bytes: Buffer, limits: StateDictLimits): TorchArchive {
  const zip = new ZipArchive(file, bytes, { largestEntryBytes: limits.largestFileBytes })
  const pickles = [...zip.entries.values()].filter((entry) => /^[^/]+\/data\.pkl$/.test(entry.name))
  if (pickles.length !== 1) {
    throw new FileFormatError(
      file,
      pickles.length === 0
        ? 'a zip archive without <name>/data.pkl: not a torch.save file (TorchScript archives are not read)'
        : 'a zip archive with more than one data.pkl'
    )
  }
  const prefix = pickles[0].name.slice(0, -'data.pkl'.length)
  const byteorderEntry = zip.entries.get(`${prefix}byteorder`)
  const byteorder = byteorderEntry ? zip.read(byteorderEntry, largestByteorderBytes) : undefined
  if (byteorder && Buffer.from(byteorder).toString('utf8').trim() !== 'little') {
    throw new FileFormatError(
      file,
      'its tensors are stored big-endian; re-save it on a little-endian machine'
    )
  }
  const pickle = zip.read(pickles[0], largestPickleBytes)
  return { zip, prefix, pickle: Buffer.from(pickle.buffer, pickle.byteOffset, pickle.byteLength) }
}

/**
 * Reads a state_dict written by torch.save (the zip format of torch >= 1.6) without running anything from
 * it: data.pkl goes through a restricted unpickler that knows only OrderedDict, the tensor rebuilders and the
 * typed storages, and anything else is refused by name.
 * Nothing is allocated for a tensor until every tensor's shape and strides are known to fit the storage the
 * zip directory declares, and only the storages the pickle names are inflated, each up to its declared size.
 * Tensors come back as float32, whatever their stored type.
 */
export function readTorchPt(
  file: string,
  bytes: Buffer,
  overrides: Partial<StateDictLimits> = {}
): Map<string, NamedTensor> {
  const limits = stateDictLimits(overrides)
  const archive = openArchive(file, bytes, limits)
  const storages = new Map<string, StorageRef>()
  let storageBytes = 0

  const loadStorage = (id: unknown, fail: (message: string) => never): StorageRef => {
    if (!Array.isArray(id) || id.length !== 5 || id[0] !== 'storage')
      fail('a persistent id that is not a storage')
    const [, type, key, , numel] = id as [string, unknown, unknown, unknown, unknown]
    if (!(type instanceof TorchGlobal) || typeof key !== 'string' || !Number.isSafeInteger(numel)) {
      fail('a storage id without a storage type, key and element count')
    }
    const storageName = (type as TorchGlobal).qualifiedName.replace(/^torch\./, '')
    const storageType = storageTypes[storageName]
    if (!storageType) fail(`${printable((type as TorchGlobal).qualifiedName)} is not a storage type`)
    if (!storageKeyPattern.test(key as string))
      fail(`storage key ${printable(key as string)} is not an entry name`)
    const elements = numel as number
    if (elements < 0) fail(`storage ${key as string} has a negative element count`)
    const cached = storages.get(key as string)
    if (cached) {
      if (cached.typeName !== storageName || cached.numel !== elements)
        fail(`storage ${key as string} is named twice with different types or sizes`)
      return cached
    }
    const entry = archive.zip.entries.get(`${archive.prefix}data/${key as string}`)
    if (!entry) fail(`storage ${key as string} is not in the archive`)
    const expected = elements * storageType.bytesPerElement
    if ((entry as ZipEntry).declaredSize !== expected) {
      fail(
        `storage ${key as string} holds ${(entry as ZipEntry).declaredSize} bytes; ` +
          `${elements} ${storageName} elements need ${expected}`
      )
    }
    storageBytes += expected
    if (storageBytes > limits.largestFileBytes)
      fail(`its storages add up to more than a model file holds (${limits.largestFileBytes} bytes)`)
    const storage = new StorageRef(key as string, storageName, storageType, elements, entry as ZipEntry)
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
        failAt(at)(`refers to ${printable(qualifiedName)}, which a state_dict never needs; nothing was run`)
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
      if (name === 'torch._utils._rebuild_tensor_v2') {
        const [storage, offset, size, stride] = args
        if (!(storage instanceof StorageRef)) fail('_rebuild_tensor_v2 without a storage')
        return new TorchTensor(storage as StorageRef, offset, size, stride)
      }
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
  // Every layout is checked, and the total counted, before the first tensor is allocated.
  const layouts = new Map<string, Layout>()
  let total = 0
  for (const [key, value] of root) {
    if (typeof key !== 'string')
      throw new FileFormatError(file, 'the state_dict has a key that is not a string')
    const fail = (message: string): never => {
      throw new FileFormatError(file, `tensor ${printable(key)}: ${message}`)
    }
    if (!(value instanceof TorchTensor)) {
      throw new FileFormatError(
        file,
        `entry ${printable(key)} is not a tensor: save model.state_dict() itself, not a checkpoint holding it`
      )
    }
    const layout = layoutOf(value, limits.largestTensorElements, fail)
    total += layout.count
    if (total > limits.largestTotalElements)
      fail(`the file's tensors add up to more than ${limits.largestTotalElements} elements`)
    layouts.set(key, layout)
  }
  const inflated = new Map<StorageRef, Uint8Array>()
  const tensors = new Map<string, NamedTensor>()
  for (const [key, layout] of layouts) {
    let raw = inflated.get(layout.storage)
    if (!raw) {
      raw = archive.zip.read(layout.storage.entry, layout.storage.entry.declaredSize)
      inflated.set(layout.storage, raw)
    }
    const data = gather(layout, raw)
    const nanAt = data.findIndex((element) => Number.isNaN(element))
    if (nanAt >= 0)
      throw new FileFormatError(file, `tensor ${printable(key)} has NaN weights (first at element ${nanAt})`)
    tensors.set(key, { shape: [...layout.shape], data })
  }
  return tensors
}

const zipSignature = [0x50, 0x4b, 0x03, 0x04]

/**
 * Reads a state_dict from safetensors or torch.save's zip format, told apart by their first bytes rather than
 * the file name. A pickle at the start means the legacy format of torch < 1.6, which is refused.
 */
export function readStateDictFile(
  file: string,
  bytes: Buffer,
  overrides: Partial<StateDictLimits> = {}
): Map<string, NamedTensor> {
  const limits = stateDictLimits(overrides)
  if (bytes.length > limits.largestFileBytes) {
    throw new FileFormatError(
      file,
      `${bytes.length} bytes, larger than any model file this reads (${limits.largestFileBytes})`
    )
  }
  if (zipSignature.every((byte, i) => bytes[i] === byte)) return readTorchPt(file, bytes, limits)
  if (bytes[0] === 0x80) {
    throw new FileFormatError(
      file,
      'a legacy torch.save file (torch < 1.6, not a zip archive); re-save it with a current torch ' +
        '(torch.save(model.state_dict(), f)) or as safetensors'
    )
  }
  return readSafetensors(file, bytes, limits)
}
