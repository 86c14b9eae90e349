import { describe, expect, test } from 'vitest'
import { readSafetensors, writeSafetensors, type NamedTensor } from '../../src-main/engine/torch'

/** A safetensors file built byte by byte, independently of the writer under test. */
function handMade(
  entries: { name: string; dtype: string; shape: number[]; bytes: Buffer }[],
  cut = 0
): Buffer {
  const header: Record<string, unknown> = {}
  let offset = 0
  for (const entry of entries) {
    header[entry.name] = {
      dtype: entry.dtype,
      shape: entry.shape,
      data_offsets: [offset, offset + entry.bytes.length]
    }
    offset += entry.bytes.length
  }
  const text = Buffer.from(JSON.stringify(header))
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(text.length))
  const file = Buffer.concat([length, text, ...entries.map((entry) => entry.bytes)])
  return cut > 0 ? file.subarray(0, file.length - cut) : file
}

function float32Bytes(values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4)
  values.forEach((value, i) => buffer.writeFloatLE(value, i * 4))
  return buffer
}

function uint16Bytes(values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 2)
  values.forEach((value, i) => buffer.writeUInt16LE(value, i * 2))
  return buffer
}

describe('safetensors reader', () => {
  test('reads F32, F16 and BF16', () => {
    const file = handMade([
      { name: 'a', dtype: 'F32', shape: [2, 2], bytes: float32Bytes([1, -2.5, 0.125, 3e-5]) },
      // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, smallest subnormal 0x0001 = 2^-24
      { name: 'b', dtype: 'F16', shape: [4], bytes: uint16Bytes([0x3c00, 0xc000, 0x3800, 0x0001]) },
      // BF16: the top half of float32: 1.0 = 0x3F80, -2.0 = 0xC000, 0.5 = 0x3F00, 3.140625 = 0x4049
      { name: 'c', dtype: 'BF16', shape: [1, 4], bytes: uint16Bytes([0x3f80, 0xc000, 0x3f00, 0x4049]) }
    ])
    const tensors = readSafetensors('x.safetensors', file)
    expect(tensors.get('a')).toEqual({ shape: [2, 2], data: new Float32Array([1, -2.5, 0.125, 3e-5]) })
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -2, 0.5, 2 ** -24])
    expect(Array.from(tensors.get('c')!.data)).toEqual([1, -2, 0.5, 3.140625])
    expect(tensors.get('c')!.shape).toEqual([1, 4])
  })

  test('the writer produces what the reader and the format expect', () => {
    const tensors = new Map<string, NamedTensor>([
      ['z.weight', { shape: [3], data: new Float32Array([1, 2, 3]) }],
      ['a.bias', { shape: [1, 2], data: new Float32Array([-1, 0.5]) }]
    ])
    const bytes = writeSafetensors(tensors)
    const headerLength = Number(bytes.readBigUInt64LE(0))
    // The data section starts 8-byte aligned, as the reference implementation writes it.
    expect((8 + headerLength) % 8).toBe(0)
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString()) as Record<
      string,
      { data_offsets: number[] }
    >
    expect(header['a.bias'].data_offsets).toEqual([0, 8])
    expect(header['z.weight'].data_offsets).toEqual([8, 20])
    expect(readSafetensors('w', bytes)).toEqual(tensors)
  })

  const good = () => [{ name: 'gru.weight_ih_l0', dtype: 'F32', shape: [2], bytes: float32Bytes([1, 2]) }]
  const cases: [string, Buffer, RegExp][] = [
    ['a truncated header', handMade(good()).subarray(0, 20), /x.st: truncated header: it declares \d+ bytes/],
    ['a tensor past the end', handMade(good(), 4), /tensor gru.weight_ih_l0 runs past the end of the file/],
    [
      'another dtype',
      handMade([{ name: 'steps', dtype: 'I64', shape: [1], bytes: Buffer.alloc(8) }]),
      /tensor steps has dtype I64; only F32, F16 and BF16/
    ],
    [
      'NaN weights',
      handMade([{ name: 'fc3.bias', dtype: 'F32', shape: [2], bytes: float32Bytes([1, NaN]) }]),
      /tensor fc3.bias has NaN weights/
    ],
    [
      'a zip (.pt) file',
      Buffer.from('PK\u0003\u0004 this is a torch.save archive, not safetensors'),
      /not a safetensors file/
    ],
    ['a tiny file', Buffer.from('abc'), /not a safetensors file: only 3 bytes/],
    [
      'a shape that does not fit its bytes',
      handMade([{ name: 'w', dtype: 'F32', shape: [3], bytes: float32Bytes([1, 2]) }]),
      /tensor w: 8 bytes do not hold shape \[3\]/
    ]
  ]
  for (const [what, bytes, message] of cases) {
    test(`${what} is a one-line error naming it`, () => {
      let error: Error | undefined
      try {
        readSafetensors('x.st', bytes)
      } catch (caught) {
        error = caught as Error
      }
      expect(error?.name).toBe('FileFormatError')
      expect(error?.message).toMatch(message)
      expect(error?.message).not.toContain('\n')
    })
  }
})
