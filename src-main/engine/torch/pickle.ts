import { FileFormatError } from '../../errors'

/**
 * What the caller lets a pickle refer to. The unpickler itself never looks up or calls anything: every
 * global, call, persistent id and BUILD goes through these hooks, which refuse (throw) whatever they do not
 * know.
 */
export interface PickleResolver {
  global(module: string, name: string, at: number): unknown
  call(callable: unknown, args: unknown[], at: number): unknown
  persistent(id: unknown, at: number): unknown
  build(target: unknown, state: unknown, at: number): unknown
}

/** Names of every pickle opcode, so that a refusal says which one it met. */
const opcodeNames: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER'
}

/** Little-endian two's complement of LONG1, as a number where it is exact, else a bigint. */
function littleEndianSigned(bytes: Buffer): number | bigint {
  if (bytes.length === 0) return 0
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i])
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(bytes.length * 8)
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value
}

/**
 * A restricted unpickler for protocols 2 to 4: the opcodes of plain data (numbers, strings, tuples, lists,
 * dicts, memo) plus GLOBAL/STACK_GLOBAL, REDUCE, BINPERSID and BUILD, each handed to the resolver. Any other
 * opcode (INST, OBJ, NEWOBJ, EXT*, ...) is refused by name. Tuples and lists are arrays, dicts are Maps.
 */
export function unpickle(file: string, bytes: Buffer, resolver: PickleResolver): unknown {
  const stack: unknown[] = []
  const marks: number[] = []
  const memo = new Map<number, unknown>()
  let position = 0

  const fail = (message: string, at = position): never => {
    throw new FileFormatError(file, `pickle byte ${at}: ${message}`)
  }
  const take = (count: number): Buffer => {
    if (count < 0 || position + count > bytes.length) fail(`needs ${count} bytes past the end of the pickle`)
    const slice = bytes.subarray(position, position + count)
    position += count
    return slice
  }
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, position)
    if (end < 0) fail('a text argument has no end of line')
    const text = bytes.subarray(position, end).toString('utf8')
    position = end + 1
    return text
  }
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      fail('pops an empty stack')
    }
    return stack.pop()
  }
  const popMark = (): unknown[] => {
    const start = marks.pop()
    if (start === undefined) fail('no MARK to pop to')
    return stack.splice(start as number)
  }
  const top = (): unknown => {
    if (stack.length === 0) fail('needs a value on the stack')
    return stack[stack.length - 1]
  }
  const asMap = (value: unknown, opcode: string): Map<unknown, unknown> =>
    value instanceof Map ? value : fail(`${opcode} on something that is not a dict`)
  const asList = (value: unknown, opcode: string): unknown[] =>
    Array.isArray(value) ? value : fail(`${opcode} on something that is not a list`)
  const memoGet = (index: number): unknown =>
    memo.has(index) ? memo.get(index) : fail(`memo entry ${index} was never stored`)

  for (;;) {
    const at = position
    if (position >= bytes.length) fail('ends without STOP')
    const opcode = bytes[position++]
    switch (opcode) {
      case 0x80: // PROTO
        if (take(1)[0] > 5) fail('pickle protocol above 5')
        break
      case 0x95: // FRAME: only a hint for buffered readers
        take(8)
        break
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length > 0) fail('STOP with a stack that does not hold one value')
        return stack[0]
      case 0x28: // MARK
        marks.push(stack.length)
        break
      case 0x30: // POP
        pop()
        break
      case 0x31: // POP_MARK
        popMark()
        break
      case 0x32: // DUP
        stack.push(top())
        break
      case 0x4e: // NONE
        stack.push(null)
        break
      case 0x88: // NEWTRUE
        stack.push(true)
        break
      case 0x89: // NEWFALSE
        stack.push(false)
        break
      case 0x4b: // BININT1
        stack.push(take(1).readUInt8(0))
        break
      case 0x4d: // BININT2
        stack.push(take(2).readUInt16LE(0))
        break
      case 0x4a: // BININT
        stack.push(take(4).readInt32LE(0))
        break
      case 0x8a: // LONG1
        stack.push(littleEndianSigned(take(take(1)[0])))
        break
      case 0x47: // BINFLOAT
        stack.push(take(8).readDoubleBE(0))
        break
      case 0x58: // BINUNICODE
        stack.push(take(take(4).readUInt32LE(0)).toString('utf8'))
        break
      case 0x8c: // SHORT_BINUNICODE
        stack.push(take(take(1)[0]).toString('utf8'))
        break
      case 0x43: // SHORT_BINBYTES
        stack.push(Buffer.from(take(take(1)[0])))
        break
      case 0x42: // BINBYTES
        stack.push(Buffer.from(take(take(4).readUInt32LE(0))))
        break
      case 0x29: // EMPTY_TUPLE
        stack.push([])
        break
      case 0x85: // TUPLE1
        stack.push([pop()])
        break
      case 0x86: {
        // TUPLE2
        const second = pop()
        stack.push([pop(), second])
        break
      }
      case 0x87: {
        // TUPLE3
        const third = pop()
        const second = pop()
        stack.push([pop(), second, third])
        break
      }
      case 0x74: // TUPLE
        stack.push(popMark())
        break
      case 0x5d: // EMPTY_LIST
        stack.push([])
        break
      case 0x61: {
        // APPEND
        const value = pop()
        asList(top(), 'APPEND').push(value)
        break
      }
      case 0x65: {
        // APPENDS
        const values = popMark()
        const target = asList(top(), 'APPENDS')
        // Not push(...values): a long MARK run would overflow the call stack, a RangeError from the file.
        for (const value of values) target.push(value)
        break
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map())
        break
      case 0x73: {
        // SETITEM
        const value = pop()
        const key = pop()
        asMap(top(), 'SETITEM').set(key, value)
        break
      }
      case 0x75: {
        // SETITEMS
        const items = popMark()
        if (items.length % 2 !== 0) fail('SETITEMS with an odd number of values', at)
        const target = asMap(top(), 'SETITEMS')
        for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1])
        break
      }
      case 0x71: // BINPUT
        memo.set(take(1)[0], top())
        break
      case 0x72: // LONG_BINPUT
        memo.set(take(4).readUInt32LE(0), top())
        break
      case 0x94: // MEMOIZE
        memo.set(memo.size, top())
        break
      case 0x68: // BINGET
        stack.push(memoGet(take(1)[0]))
        break
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(take(4).readUInt32LE(0)))
        break
      case 0x63: {
        // GLOBAL
        const module = readLine()
        stack.push(resolver.global(module, readLine(), at))
        break
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop()
        const module = pop()
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('STACK_GLOBAL without two strings', at)
        stack.push(resolver.global(module as string, name as string, at))
        break
      }
      case 0x52: {
        // REDUCE
        const args = pop()
        const callable = pop()
        if (!Array.isArray(args)) fail('REDUCE without an argument tuple', at)
        stack.push(resolver.call(callable, args as unknown[], at))
        break
      }
      case 0x51: // BINPERSID
        stack.push(resolver.persistent(pop(), at))
        break
      case 0x62: {
        // BUILD
        const state = pop()
        stack.push(resolver.build(pop(), state, at))
        break
      }
      default: {
        const name = opcodeNames[opcode]
        const hex = `0x${opcode.toString(16).padStart(2, '0')}`
        fail(name ? `opcode ${name} (${hex}) is not allowed in a state_dict` : `unknown opcode ${hex}`, at)
      }
    }
  }
}
