import { ProtoWriter } from '../native-graph/proto'

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
