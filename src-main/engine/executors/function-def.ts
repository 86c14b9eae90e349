import { DataType, type AttrValue } from '../ops/attributes'

/**
 * The few protobuf messages a TensorFlow FunctionDef needs, written by hand: protobufjs and TensorFlow's .proto
 * files would be a dependency and a code generator for five messages of which only the writing side is used.
 * Wire format: a tag (field << 3 | wire type), then a varint (type 0), or a length and bytes (type 2), or four
 * bytes (type 5). Field numbers are those of tensorflow/core/framework/{function,op_def,node_def,attr_value,
 * tensor,tensor_shape}.proto.
 */
export class ProtoWriter {
  private readonly bytes: number[] = []

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value))
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.bytes.push(Number(v))
  }

  private tag(field: number, wireType: 0 | 2 | 5): void {
    this.varint((field << 3) | wireType)
  }

  int(field: number, value: number): this {
    this.tag(field, 0)
    this.varint(value)
    return this
  }

  bool(field: number, value: boolean): this {
    return this.int(field, value ? 1 : 0)
  }

  float(field: number, value: number): this {
    this.tag(field, 5)
    const buffer = new Uint8Array(4)
    new DataView(buffer.buffer).setFloat32(0, value, true)
    this.bytes.push(...buffer)
    return this
  }

  raw(field: number, data: Uint8Array): this {
    this.tag(field, 2)
    this.varint(data.length)
    for (const byte of data) this.bytes.push(byte)
    return this
  }

  string(field: number, value: string): this {
    return this.raw(field, new TextEncoder().encode(value))
  }

  message(field: number, body: ProtoWriter): this {
    return this.raw(field, body.finish())
  }

  packedInts(field: number, values: number[]): this {
    const body = new ProtoWriter()
    for (const value of values) body.varint(value)
    return this.raw(field, body.finish())
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes)
  }
}

function tensorShape(shape: number[]): ProtoWriter {
  const writer = new ProtoWriter()
  for (const size of shape) writer.message(2, new ProtoWriter().int(1, size))
  return writer
}

function attrValue(attr: AttrValue): ProtoWriter {
  const writer = new ProtoWriter()
  switch (attr.kind) {
    case 'type':
      return writer.int(6, attr.value)
    case 'int':
      return writer.int(3, attr.value)
    case 'ints':
      return writer.message(1, new ProtoWriter().packedInts(3, attr.value))
    case 'string':
      return writer.string(2, attr.value)
    case 'strings': {
      const list = new ProtoWriter()
      for (const value of attr.value) list.string(2, value)
      return writer.message(1, list)
    }
    case 'bool':
      return writer.bool(5, attr.value)
    case 'float':
      return writer.float(4, attr.value)
    case 'int32Tensor':
    case 'floatTensor': {
      const int32 = attr.kind === 'int32Tensor'
      const values = int32 ? Int32Array.from(attr.value) : Float32Array.from(attr.value)
      const tensor = new ProtoWriter()
        .int(1, int32 ? DataType.int32 : DataType.float)
        .message(2, tensorShape(attr.shape))
        .raw(4, new Uint8Array(values.buffer))
      return writer.message(8, tensor)
    }
  }
}

export interface NodeDef {
  name: string
  op: string
  /** Function arguments by name, other nodes' outputs as "node:outputArg:index". */
  inputs: string[]
  attrs: Record<string, AttrValue>
}

export interface FunctionDef {
  name: string
  inputs: { name: string; type: number }[]
  outputs: { name: string; type: number; source: string }[]
  nodes: NodeDef[]
}

function mapEntry(key: string, value: ProtoWriter | string): ProtoWriter {
  const entry = new ProtoWriter().string(1, key)
  return typeof value === 'string' ? entry.string(2, value) : entry.message(2, value)
}

/** A serialized tensorflow.FunctionDef. */
export function encodeFunctionDef(fn: FunctionDef): Uint8Array {
  const signature = new ProtoWriter().string(1, fn.name)
  for (const input of fn.inputs)
    signature.message(2, new ProtoWriter().string(1, input.name).int(3, input.type))
  for (const output of fn.outputs)
    signature.message(3, new ProtoWriter().string(1, output.name).int(3, output.type))
  const writer = new ProtoWriter().message(1, signature)
  for (const node of fn.nodes) {
    const nodeDef = new ProtoWriter().string(1, node.name).string(2, node.op)
    for (const input of node.inputs) nodeDef.string(3, input)
    for (const [key, value] of Object.entries(node.attrs)) nodeDef.message(5, mapEntry(key, attrValue(value)))
    writer.message(3, nodeDef)
  }
  for (const output of fn.outputs) writer.message(4, mapEntry(output.name, output.source))
  return writer.finish()
}
