import { ProtoWriter } from '../executors/function-def'

/**
 * The ONNX messages an exported model needs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto), written with the same hand-written protobuf writer as the TensorFlow functions: only the
 * writing side of a handful of messages is used. Field numbers are those of onnx/onnx.proto (IR version 8).
 */

/** TensorProto.DataType */
export const OnnxType = {
  float: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10
} as const
export type OnnxElementType = (typeof OnnxType)[keyof typeof OnnxType]

export type OnnxAttribute =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }

export interface OnnxNode {
  op: string
  name: string
  inputs: string[]
  outputs: string[]
  attributes: Record<string, OnnxAttribute>
}

export interface OnnxTensor {
  name: string
  type: OnnxElementType
  dims: number[]
  /** Little-endian values, as TensorProto.raw_data holds them. */
  data: Uint8Array
}

/** A graph input or output; a dimension given as a string is symbolic (the batch). */
export interface OnnxValueInfo {
  name: string
  type: OnnxElementType
  dims: (number | string)[]
}

export interface OnnxModel {
  producerVersion: string
  graphName: string
  docString: string
  opset: number
  nodes: OnnxNode[]
  initializers: OnnxTensor[]
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
  metadata: Record<string, string>
}

/** The IR version that goes with opsets 17 to 19. */
export const irVersion = 8

// AttributeProto.AttributeType
const attributeType = { float: 1, int: 2, string: 3, ints: 7 } as const

function attribute(name: string, attr: OnnxAttribute): ProtoWriter {
  const writer = new ProtoWriter().string(1, name).int(20, attributeType[attr.kind])
  switch (attr.kind) {
    case 'int':
      return writer.int(3, attr.value)
    case 'ints':
      return writer.packedInts(8, attr.value)
    case 'float':
      return writer.float(2, attr.value)
    case 'string':
      return writer.string(4, attr.value)
  }
}

function node(n: OnnxNode): ProtoWriter {
  const writer = new ProtoWriter()
  for (const input of n.inputs) writer.string(1, input)
  for (const output of n.outputs) writer.string(2, output)
  writer.string(3, n.name).string(4, n.op)
  for (const [name, attr] of Object.entries(n.attributes)) writer.message(5, attribute(name, attr))
  return writer
}

function tensor(t: OnnxTensor): ProtoWriter {
  return new ProtoWriter().packedInts(1, t.dims).int(2, t.type).string(8, t.name).raw(9, t.data)
}

function valueInfo(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter()
  for (const dim of info.dims)
    shape.message(
      1,
      typeof dim === 'string' ? new ProtoWriter().string(2, dim) : new ProtoWriter().int(1, dim)
    )
  const tensorType = new ProtoWriter().int(1, info.type).message(2, shape)
  return new ProtoWriter().string(1, info.name).message(2, new ProtoWriter().message(1, tensorType))
}

/** A serialized onnx.ModelProto. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new ProtoWriter()
  for (const n of model.nodes) graph.message(1, node(n))
  graph.string(2, model.graphName)
  for (const t of model.initializers) graph.message(5, tensor(t))
  graph.string(10, model.docString)
  for (const input of model.inputs) graph.message(11, valueInfo(input))
  for (const output of model.outputs) graph.message(12, valueInfo(output))
  const writer = new ProtoWriter()
    .int(1, irVersion)
    .string(2, 'emoheal-workstation')
    .string(3, model.producerVersion)
    .string(4, 'org.emoheal')
    .int(5, 1)
    .string(6, model.docString)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, model.opset))
  for (const [key, value] of Object.entries(model.metadata))
    writer.message(14, new ProtoWriter().string(1, key).string(2, value))
  return writer.finish()
}

/** Reads the varint at `at`; returns it and the next offset. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0
  let scale = 1
  for (;;) {
    if (at >= bytes.length) throw new Error('truncated varint')
    const byte = bytes[at++]
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return [value, at]
    scale *= 128
  }
}

/** The top-level fields of a message: field number, wire type and, for length-delimited ones, the bytes. */
function* fields(bytes: Uint8Array): Generator<{ field: number; data: Uint8Array | null; value: number }> {
  let at = 0
  while (at < bytes.length) {
    const [tag, next] = readVarint(bytes, at)
    at = next
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    if (wire === 0) {
      const [value, after] = readVarint(bytes, at)
      at = after
      yield { field, data: null, value }
    } else if (wire === 2) {
      const [length, after] = readVarint(bytes, at)
      if (after + length > bytes.length) throw new Error(`field ${field} runs past the end`)
      yield { field, data: bytes.subarray(after, after + length), value: length }
      at = after + length
    } else if (wire === 5) {
      at += 4
      yield { field, data: null, value: 0 }
    } else if (wire === 1) {
      at += 8
      yield { field, data: null, value: 0 }
    } else {
      throw new Error(`wire type ${wire} at byte ${at}`)
    }
  }
}

/** ModelProto.metadata_props of a serialized model (the rest is left to ONNX Runtime to read). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const decoder = new TextDecoder()
  const metadata: Record<string, string> = {}
  for (const { field, data } of fields(bytes)) {
    if (field !== 14 || !data) continue
    let key = ''
    let value = ''
    for (const entry of fields(data)) {
      if (entry.field === 1 && entry.data) key = decoder.decode(entry.data)
      if (entry.field === 2 && entry.data) value = decoder.decode(entry.data)
    }
    metadata[key] = value
  }
  return metadata
}
