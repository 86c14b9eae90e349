import { mkdtempSync, rmSync, truncateSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { deflateRawSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { FileFormatError } from '../../src-main/errors'
import { importTorchModel, readSafetensors } from '../../src-main/engine/torch'
import { readStateDictFile, readTorchPt } from '../../src-main/engine/torch/torch-pt'
import {
  errorOf,
  float32Bytes,
  rawSafetensors,
  smallSafetensorsFile,
  smallTorchFile,
  stateDictPickle,
  torchArchive,
  zeroBomb,
  zipArchive,
  type PickledTensor
} from './hostile-files'

const MiB = 1024 * 1024

/** What a refusal must be: a FileFormatError on one line that names the file and, where given, the tensor. */
function expectRefusal(error: Error, file: string, ...names: (string | RegExp)[]): void {
  expect(error.name, error.stack).toBe(FileFormatError.name)
  expect(error.message.startsWith(`${file}: `), error.message).toBe(true)
  expect(error.message).not.toMatch(/[\n\r]/)
  for (const name of names) {
    if (typeof name === 'string') expect(error.message).toContain(name)
    else expect(error.message).toMatch(name)
  }
}

/** Runs `read` and reports how far the resident set grew meanwhile (sampled, so a spike between samples counts). */
function rssGrowth<T>(read: () => T): { growth: number; outcome: T | Error } {
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  let outcome: T | Error
  try {
    outcome = read()
  } catch (error) {
    outcome = error as Error
  }
  return { growth: process.memoryUsage().rss - before, outcome }
}

/** One float32 storage "0" of `values` and one tensor over it. */
function oneTensorFile(tensor: Omit<PickledTensor, 'name' | 'storage'>, values = [1.5]): Buffer {
  return torchArchive(
    [{ name: 'layer.weight', storage: { key: '0', numel: values.length }, ...tensor }],
    [{ name: 'archive/data/0', data: float32Bytes(values) }]
  )
}

describe('.pt tensors must fit their storage', () => {
  test('a valid archive built here reads as written (the builders are sound)', () => {
    const tensors = readTorchPt('small.pt', smallTorchFile())
    expect(tensors.get('fc.weight')).toEqual({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) })
    expect(tensors.get('fc.bias')).toEqual({ shape: [3], data: Float32Array.from([1, -2, 0.5]) })
  })

  test('stride 0 with a huge shape over a one-element storage is refused before anything is allocated', () => {
    const bytes = oneTensorFile({ size: [1 << 16, 1 << 16], stride: [0, 0] })
    const { growth, outcome } = rssGrowth(() => readTorchPt('stride0.pt', bytes))
    expect(outcome).toBeInstanceOf(Error)
    expectRefusal(outcome as Error, 'stride0.pt', 'layer.weight', /storage 0/)
    expect(growth).toBeLessThan(64 * MiB)
  })

  test('a broadcast (stride-0) view with more elements than its storage is refused, even a small one', () => {
    const bytes = oneTensorFile({ size: [4], stride: [0] })
    expectRefusal(
      errorOf(() => readTorchPt('broadcast.pt', bytes)),
      'broadcast.pt',
      'layer.weight'
    )
  })

  test('sizes whose product overflows are refused', () => {
    const huge = 2n ** 62n
    const bytes = oneTensorFile({ size: [huge, huge, 4], stride: [0, 0, 0] })
    expectRefusal(
      errorOf(() => readTorchPt('overflow.pt', bytes)),
      'overflow.pt',
      'layer.weight'
    )
  })

  test('a stride that reaches past the storage is refused', () => {
    const bytes = oneTensorFile({ size: [2, 2], stride: [2 ** 40, 1] }, [1, 2, 3, 4])
    expectRefusal(
      errorOf(() => readTorchPt('stride.pt', bytes)),
      'stride.pt',
      'layer.weight'
    )
  })

  test('negative sizes and strides are refused', () => {
    for (const [size, stride] of [
      [[-1], [1]],
      [[2], [-1]]
    ]) {
      const bytes = oneTensorFile({ size, stride }, [1, 2])
      expectRefusal(
        errorOf(() => readTorchPt('negative.pt', bytes)),
        'negative.pt',
        'layer.weight'
      )
    }
  })

  test('a storage offset past the end is refused, even for an empty tensor', () => {
    for (const [offset, size] of [
      [5, [1]],
      [2 ** 50, [0]]
    ] as const) {
      const bytes = oneTensorFile({ offset, size: [...size], stride: [1] }, [1, 2])
      expectRefusal(
        errorOf(() => readTorchPt('offset.pt', bytes)),
        'offset.pt',
        'layer.weight',
        /offset/
      )
    }
  })

  test('a storage that declares more elements than its entry holds (truncated) is refused', () => {
    const bytes = torchArchive(
      [{ name: 'w', storage: { key: '0', numel: 2 ** 40 }, size: [4], stride: [1] }],
      [{ name: 'archive/data/0', data: float32Bytes([1, 2, 3, 4]) }]
    )
    const { growth, outcome } = rssGrowth(() => readTorchPt('numel.pt', bytes))
    expectRefusal(outcome as Error, 'numel.pt', /storage 0/)
    expect(growth).toBeLessThan(64 * MiB)
    const cut = torchArchive(
      [{ name: 'w', storage: { key: '0', numel: 4 }, size: [4], stride: [1] }],
      [{ name: 'archive/data/0', data: float32Bytes([1, 2, 3]) }]
    )
    expectRefusal(
      errorOf(() => readTorchPt('cut.pt', cut)),
      'cut.pt',
      /storage 0/
    )
  })

  test('many names over one storage cannot add up past the total cap', () => {
    const tensors = Array.from({ length: 40 }, (_, i) => ({
      name: `tied.${i}`,
      storage: { key: '0', numel: 1024 },
      size: [1024],
      stride: [1]
    }))
    const bytes = torchArchive(tensors, [{ name: 'archive/data/0', data: Buffer.alloc(4096) }])
    expect(readTorchPt('tied.pt', bytes).size).toBe(40)
    const error = errorOf(() =>
      readTorchPt('tied.pt', bytes, { largestTensorElements: 1024, largestTotalElements: 1024 * 30 })
    )
    expectRefusal(error, 'tied.pt', 'tied.30')
  })

  test('one tensor above the per-tensor cap is refused, naming it', () => {
    const bytes = oneTensorFile({ size: [64], stride: [1] }, new Array<number>(64).fill(1))
    expect(readTorchPt('big.pt', bytes).get('layer.weight')?.data).toHaveLength(64)
    expectRefusal(
      errorOf(() => readTorchPt('big.pt', bytes, { largestTensorElements: 63 })),
      'big.pt',
      'layer.weight',
      /64 elements/
    )
  })
})

describe('.pt zip entries are inflated only when referenced, and only up to what they declare', () => {
  const reference = (): PickledTensor[] => [
    { name: 'w', storage: { key: '0', numel: 2 }, size: [2], stride: [1] }
  ]
  const storage = { name: 'archive/data/0', data: float32Bytes([0.5, -1]) }

  test('an unreferenced zip bomb (declaring 1 KiB, inflating to 4 GiB) is never inflated', () => {
    const bomb = {
      name: 'archive/data/bomb',
      method: 8 as const,
      compressed: zeroBomb(4096 * MiB),
      declaredSize: 1024
    }
    const bytes = torchArchive(reference(), [storage], { extra: [bomb] })
    const started = Date.now()
    const { growth, outcome } = rssGrowth(() => readTorchPt('bomb.pt', bytes))
    expect(outcome).toBeInstanceOf(Map)
    expect((outcome as Map<string, unknown>).get('w')).toEqual({
      shape: [2],
      data: Float32Array.from([0.5, -1])
    })
    // Inflating 4 GiB takes many seconds; not inflating it takes milliseconds.
    expect(Date.now() - started).toBeLessThan(2000)
    expect(growth).toBeLessThan(64 * MiB)
  })

  test('an entry declaring more than a model file can hold is refused without inflating it', () => {
    const declared = {
      name: 'archive/data/big',
      method: 8 as const,
      compressed: deflateRawSync(Buffer.alloc(16)),
      declaredSize: 0xfff00000
    }
    const bytes = torchArchive(reference(), [storage], { extra: [declared] })
    const { growth, outcome } = rssGrowth(() => readTorchPt('declared.pt', bytes))
    expectRefusal(outcome as Error, 'declared.pt', 'archive/data/big', /declares/)
    expect(growth).toBeLessThan(64 * MiB)
  })

  test('a referenced storage that inflates past its declared size is refused, and inflation stops there', () => {
    const liar = {
      name: 'archive/data/0',
      method: 8 as const,
      compressed: zeroBomb(1024 * MiB),
      declaredSize: 8
    }
    const bytes = torchArchive(reference(), [liar])
    const started = Date.now()
    const { growth, outcome } = rssGrowth(() => readTorchPt('liar.pt', bytes))
    expectRefusal(outcome as Error, 'liar.pt', 'archive/data/0', /more than the 8 bytes it declares/)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(growth).toBeLessThan(64 * MiB)
  })

  test('a deflated storage that inflates to less than it declares is refused', () => {
    const short = {
      name: 'archive/data/0',
      method: 8 as const,
      compressed: deflateRawSync(float32Bytes([1])),
      declaredSize: 8
    }
    expectRefusal(
      errorOf(() => readTorchPt('short.pt', torchArchive(reference(), [short]))),
      'short.pt',
      'archive/data/0'
    )
  })

  test('a deflated storage of the right size reads (re-zipped archives are fine)', () => {
    const deflated = { ...storage, method: 8 as const }
    expect(readTorchPt('deflated.pt', torchArchive(reference(), [deflated])).get('w')?.data).toEqual(
      Float32Array.from([0.5, -1])
    )
  })

  test('a storage whose bytes do not match its CRC is refused as damaged', () => {
    const damaged = { ...storage, crc: 12345 }
    expectRefusal(
      errorOf(() => readTorchPt('crc.pt', torchArchive(reference(), [damaged]))),
      'crc.pt',
      /CRC/
    )
  })

  test('nested entries and entries escaping the archive are refused', () => {
    for (const name of [
      'archive/data/0/inner',
      '../archive/data/x',
      '/etc/archive',
      'archive\\data\\0',
      'archive/./data'
    ]) {
      const bytes = torchArchive(reference(), [storage], { extra: [{ name, data: Buffer.from('x') }] })
      expectRefusal(
        errorOf(() => readTorchPt('nested.pt', bytes)),
        'nested.pt',
        /nested|escapes/
      )
    }
  })

  test('a storage key that is not a plain entry name is refused', () => {
    const bytes = torchArchive(
      [{ name: 'w', storage: { key: '../0', numel: 2 }, size: [2], stride: [1] }],
      [storage]
    )
    expectRefusal(
      errorOf(() => readTorchPt('key.pt', bytes)),
      'key.pt',
      /storage/
    )
  })

  test('an oversized data.pkl is refused by its declared size', () => {
    const pickle = stateDictPickle(reference())
    const bytes = zipArchive([
      { name: 'archive/data.pkl', data: pickle, method: 8, declaredSize: 0x7fffffff },
      storage
    ])
    expectRefusal(
      errorOf(() => readTorchPt('pickle.pt', bytes)),
      'pickle.pt',
      'archive/data.pkl',
      /declares/
    )
  })

  test('a pickle with a million values under one MARK is refused by name, not by a stack overflow', () => {
    const pickle = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x5d, 0x28]),
      Buffer.alloc(1_000_000, 0x4e),
      Buffer.from([0x65, 0x2e])
    ])
    const bytes = torchArchive([], [], { pickle })
    expectRefusal(
      errorOf(() => readTorchPt('appends.pt', bytes)),
      'appends.pt',
      /does not hold a dict/
    )
  })

  test('two entries of one name are refused', () => {
    const bytes = torchArchive(reference(), [storage, storage])
    expectRefusal(
      errorOf(() => readTorchPt('twice.pt', bytes)),
      'twice.pt',
      /archive\/data\/0/
    )
  })

  test('a file larger than any model file is refused before it is read', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'emoheal-hostile-'))
    try {
      const file = path.join(directory, 'huge.pt')
      writeFileSync(file, smallTorchFile())
      // Sparse: it takes no disk, but says 2 GiB.
      truncateSync(file, 2048 * MiB)
      const { growth, outcome } = rssGrowth(() => importTorchModel(file, path.join(directory, 'out')))
      const error = await (outcome as Promise<unknown>).then(
        () => new Error('it did not throw'),
        (caught: Error) => caught
      )
      expectRefusal(error, file, /larger than/)
      expect(growth).toBeLessThan(64 * MiB)
      expect(existsSync(path.join(directory, 'out'))).toBe(false)
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe('safetensors tensors must fit the file', () => {
  const data = float32Bytes([1, 2, 3, 4])
  const read =
    (header: Record<string, unknown>, bytes = data) =>
    () =>
      readSafetensors('hostile.safetensors', rawSafetensors(header, bytes))

  test('a valid file built here reads as written', () => {
    const tensors = readSafetensors('small.safetensors', smallSafetensorsFile())
    expect(tensors.get('fc.weight')).toEqual({ shape: [2, 2], data: Float32Array.from([1, -2, 3.5, 4]) })
    expect(tensors.get('fc.bias')).toEqual({ shape: [2], data: Float32Array.from([1, -2]) })
  })

  const cases: [string, Record<string, unknown>][] = [
    ['offsets beyond the file', { w: { dtype: 'F32', shape: [4], data_offsets: [2 ** 40, 2 ** 40 + 16] } }],
    ['an end before its begin', { w: { dtype: 'F32', shape: [0], data_offsets: [16, 8] } }],
    ['a negative begin', { w: { dtype: 'F32', shape: [4], data_offsets: [-16, 0] } }],
    ['fractional offsets', { w: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] } }],
    ['offsets that are not numbers', { w: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }],
    ['a shape that does not match its bytes', { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }],
    [
      'a shape whose product overflows',
      { w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 0.25], data_offsets: [0, 16] } }
    ],
    [
      'a huge shape with a zero in it and bytes',
      { w: { dtype: 'F32', shape: [2 ** 60, 0], data_offsets: [0, 16] } }
    ],
    ['a negative dimension', { w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }],
    ['a dimension that is not a number', { w: { dtype: 'F32', shape: ['4'], data_offsets: [0, 16] } }],
    ['a dtype inherited from Object', { w: { dtype: 'toString', shape: [4], data_offsets: [0, 16] } }],
    [
      'two tensors on the same bytes',
      {
        w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        v: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }
      }
    ],
    ['a header entry that is not an object', { w: 7 }]
  ]
  for (const [what, header] of cases) {
    test(`${what} is refused on one line naming the file and tensor`, () => {
      expectRefusal(errorOf(read(header)), 'hostile.safetensors', /\bw\b|tensor/)
    })
  }

  test('a tensor above the per-tensor cap is refused, naming it', () => {
    const header = { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }
    expect(readSafetensors('f', rawSafetensors(header, data)).get('w')?.data).toHaveLength(4)
    expectRefusal(
      errorOf(() => readSafetensors('f', rawSafetensors(header, data), { largestTensorElements: 3 })),
      'f',
      'w',
      /4 elements/
    )
  })

  test('a header length beyond the file is refused without allocating it', () => {
    const bytes = Buffer.alloc(16)
    bytes.writeBigUInt64LE(2n ** 62n)
    bytes[8] = 0x7b
    const { growth, outcome } = rssGrowth(() => readSafetensors('length.safetensors', bytes))
    expectRefusal(outcome as Error, 'length.safetensors')
    expect(growth).toBeLessThan(64 * MiB)
  })

  test('tensor names with line breaks cannot break the one-line error', () => {
    const header = { 'a\nb\r\u202ec': { dtype: 'F32', shape: [9], data_offsets: [0, 16] } }
    const error = errorOf(read(header))
    expectRefusal(error, 'hostile.safetensors')
    expect(error.message).not.toMatch(/[\u202e]/)
  })

  test('readStateDictFile tells the formats apart and refuses either kind of lie', () => {
    expectRefusal(
      errorOf(() => readStateDictFile('x.pt', oneTensorFile({ size: [1 << 20], stride: [0] }))),
      'x.pt',
      'layer.weight'
    )
    expectRefusal(
      errorOf(read({ w: { dtype: 'F32', shape: [5], data_offsets: [0, 16] } })),
      'hostile.safetensors',
      'w'
    )
  })
})
