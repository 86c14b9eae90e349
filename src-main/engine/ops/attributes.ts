/**
 * TensorFlow's attribute values and data types, as TensorOps states them for every operation: the graph
 * recorder writes them into a FunctionDef, the eager executor hands them to the binding.
 */
/** Their numbers in tensorflow/core/framework/types.proto. */
export const DataType = { float: 1, int32: 3 } as const

export type AttrValue =
  | { kind: 'type'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: string[] }
  | { kind: 'bool'; value: boolean }
  | { kind: 'float'; value: number }
  | { kind: 'int32Tensor'; value: number[]; shape: number[] }
  | { kind: 'floatTensor'; value: number[]; shape: number[] }
