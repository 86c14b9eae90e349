import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { FileFormatError } from '../../src-main/errors'
import { readStateDictFile } from '../../src-main/engine/torch/torch-pt'
import {
  float32Bytes,
  smallSafetensorsFile,
  smallTorchFile,
  stateDictPickle,
  torchArchive,
  type PickledTensor
} from './hostile-files'

// Fixed so that a failure replays exactly; the runs are bounded so that each property takes a few seconds.
const seed = 15_3
const numRuns = 1000

/** Values that have broken length and offset arithmetic somewhere, as little-endian 32-bit words. */
const interestingWords = [
  0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x01000000, 0x10000000, 0x40000000, 0x7fffffff, 0x80000000, 0xffffffff
]

type Mutation = (bytes: Buffer) => Buffer

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })
const at = (bytes: Buffer, where: number) => Math.floor(where * bytes.length)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(position, fc.integer({ min: 1, max: 255 })).map(([where, xor]): Mutation => (bytes) => {
    const copy = Buffer.from(bytes)
    if (copy.length) copy[at(copy, where)] ^= xor
    return copy
  }),
  fc.tuple(position, fc.constantFrom(...interestingWords)).map(([where, word]): Mutation => (bytes) => {
    const copy = Buffer.from(bytes)
    const i = at(copy, where)
    if (i + 4 <= copy.length) copy.writeUInt32LE(word, i)
    return copy
  }),
  position.map(
    (where): Mutation =>
      (bytes) =>
        bytes.subarray(0, at(bytes, where))
  ),
  fc.tuple(position, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(
    ([where, inserted]): Mutation =>
      (bytes) =>
        Buffer.concat([bytes.subarray(0, at(bytes, where)), inserted, bytes.subarray(at(bytes, where))])
  ),
  fc.tuple(position, fc.integer({ min: 1, max: 32 })).map(
    ([where, length]): Mutation =>
      (bytes) =>
        Buffer.concat([bytes.subarray(0, at(bytes, where)), bytes.subarray(at(bytes, where) + length)])
  )
)
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 })

/**
 * Also a byte mutation, guided the way fuzzers' dictionaries guide them: an interesting word over the operand of
 * one BININT opcode (0x4a), where a pickle keeps its sizes, strides, offsets and element counts.
 */
const operandMutation: fc.Arbitrary<Mutation> = fc
  .tuple(fc.nat(), fc.constantFrom(...interestingWords))
  .map(([k, word]): Mutation => (bytes) => {
    const operands: number[] = []
    for (let i = 0; i + 5 <= bytes.length; i++) if (bytes[i] === 0x4a) operands.push(i + 1)
    if (!operands.length) return bytes
    const copy = Buffer.from(bytes)
    copy.writeUInt32LE(word, operands[k % operands.length])
    return copy
  })
const pickleMutations = fc.array(fc.oneof({ arbitrary: operandMutation, weight: 4 }, mutation), {
  minLength: 1,
  maxLength: 4
})

/** A read either succeeds with self-consistent tensors or ends in a one-line FileFormatError naming the file. */
function expectSuccessOrFileFormatError(file: string, bytes: Buffer, outcomes: Map<string, number>): void {
  const started = Date.now()
  let kind: string
  try {
    const tensors = readStateDictFile(file, bytes)
    for (const tensor of tensors.values()) {
      expect(tensor.data.length).toBe(tensor.shape.reduce((product, size) => product * size, 1))
      expect(tensor.data.some(Number.isNaN)).toBe(false)
    }
    kind = 'read'
  } catch (error) {
    if (!(error instanceof FileFormatError)) throw error
    expect(error.message.startsWith(`${file}: `)).toBe(true)
    expect(error.message).not.toMatch(/[\n\r]/)
    kind = error.message.replace(/^[^:]+: /, '').split(/[ (:]/)[0]
  }
  outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1)
  // A case of a few hundred bytes has no business taking long: anything slow is a hang in the making.
  expect(Date.now() - started).toBeLessThan(1000)
}

function check(file: string, original: () => Buffer): Map<string, number> {
  const outcomes = new Map<string, number>()
  const base = original()
  fc.assert(
    fc.property(mutations, (list) => {
      expectSuccessOrFileFormatError(
        file,
        list.reduce((bytes, mutate) => mutate(bytes), base),
        outcomes
      )
    }),
    { seed, numRuns }
  )
  return outcomes
}

// A transposed view and an expanded (stride-0) one share storage 0 with the weight, as torch writes views.
const tensors: PickledTensor[] = [
  { name: 'fc.weight', storage: { key: '0', numel: 6 }, size: [2, 3], stride: [3, 1] },
  { name: 'fc.view', storage: { key: '0', numel: 6 }, offset: 1, size: [2, 2], stride: [1, 3] },
  { name: 'fc.expanded', storage: { key: '0', numel: 6 }, size: [2, 3], stride: [0, 1] },
  { name: 'fc.bias', storage: { key: '1', numel: 2 }, size: [2], stride: [1] }
]
const storages = () => [
  { name: 'archive/data/0', data: float32Bytes([1, 2, 3, 4, 5, 6]) },
  { name: 'archive/data/1', data: float32Bytes([-1, 0.5]) }
]

describe('random mutations end in a read or a FileFormatError, never another exception or a hang', () => {
  test('of a whole .pt archive', () => {
    const outcomes = check('mutated.pt', smallTorchFile)
    expect(outcomes.size).toBeGreaterThan(1)
  }, 30_000)

  // Mutating the archive mostly trips its CRCs; here the pickle changes inside a well-formed archive, so the
  // unpickler and the layout checks see the mutations.
  test('of the pickle inside a well-formed .pt archive', () => {
    const pickle = stateDictPickle(tensors, true)
    const outcomes = new Map<string, number>()
    fc.assert(
      fc.property(pickleMutations, (list) => {
        const mutated = list.reduce((bytes, mutate) => mutate(bytes), pickle)
        const bytes = torchArchive(tensors, storages(), { pickle: mutated })
        expectSuccessOrFileFormatError('pickled.pt', bytes, outcomes)
      }),
      { seed, numRuns }
    )
    expect(outcomes.get('pickle')).toBeGreaterThan(0)
  }, 30_000)

  test('of a safetensors file', () => {
    const outcomes = check('mutated.safetensors', smallSafetensorsFile)
    expect(outcomes.size).toBeGreaterThan(1)
  }, 30_000)
})
