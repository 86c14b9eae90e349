import * as tf from '@tensorflow/tfjs'
import { DataType, type AttrValue } from '../ops/attributes'
import { TensorOps } from '../ops/tensor-ops'
import { cachedConstant } from './constants'

/**
 * Raw TensorFlow ops on the native backend, for layers that run their whole forward and backward as one
 * custom-gradient function. Through tfjs every operation is a tfjs kernel (engine bookkeeping, tape, clones of
 * saved tensors) on top of the native call; here an operation is only the native call (about 30 µs on a slow
 * 2-core machine, most of it TensorFlow's eager dispatch), and nothing tfjs does not need to see is tracked.
 * tfjs-node wraps every result as a tfjs tensor in the current scope (no tape, no kernel bookkeeping); an
 * EagerOps disposes its temporaries at its end unless they are handed out with `toTensor`.
 */
export interface TfjsNodeBackend {
  binding: {
    TF_ATTR_TYPE: number
    TF_ATTR_INT: number
    TF_ATTR_STRING: number
    TF_ATTR_BOOL: number
    TF_ATTR_FLOAT: number
    TF_FLOAT: number
    TF_INT32: number
    TF_BOOL: number
    emohealRegisterFunction?: (functionDef: Uint8Array) => void
  }
  executeSingleOutput(name: string, attributes: unknown[], inputs: tf.TensorInfo[]): tf.Tensor
  executeMultipleOutputs(
    name: string,
    attributes: unknown[],
    inputs: tf.TensorInfo[],
    outputs: number
  ): tf.Tensor[]
}

/** The binding's attribute objects for an AttrValue. */
function bindingAttribute(native: TfjsNodeBackend, name: string, attr: AttrValue): unknown {
  const { binding } = native
  switch (attr.kind) {
    case 'type':
      return { name, type: binding.TF_ATTR_TYPE, value: attr.value }
    case 'int':
    case 'ints':
      return { name, type: binding.TF_ATTR_INT, value: attr.value }
    case 'string':
    case 'strings':
      return { name, type: binding.TF_ATTR_STRING, value: attr.value }
    case 'bool':
      return { name, type: binding.TF_ATTR_BOOL, value: attr.value }
    case 'float':
      return { name, type: binding.TF_ATTR_FLOAT, value: attr.value }
    case 'int32Tensor':
    case 'floatTensor':
      throw new Error(`attribute ${name}: tensors are operands in eager mode`)
  }
}

/**
 * Runs each operation at once through the binding. Its results are tfjs tensors in the current scope; the
 * scope disposes them at its end unless they are handed out with `toTensor`.
 */
export class EagerOps extends TensorOps<tf.TensorInfo> {
  private readonly temporaries = new Set<tf.TensorInfo>()
  readonly native: TfjsNodeBackend

  constructor() {
    super()
    this.native = tf.backend() as unknown as TfjsNodeBackend
  }

  protected emit(op: string, attrs: Record<string, AttrValue>, inputs: tf.TensorInfo[]): tf.TensorInfo {
    const attributes = Object.entries(attrs).map(([name, attr]) => bindingAttribute(this.native, name, attr))
    const result = this.native.executeSingleOutput(op, attributes, inputs)
    this.temporaries.add(result)
    return result
  }

  protected emitList(
    op: string,
    attrs: Record<string, AttrValue>,
    inputs: tf.TensorInfo[],
    _outputArg: string,
    shapes: number[][]
  ): tf.TensorInfo[] {
    const attributes = Object.entries(attrs).map(([name, attr]) => bindingAttribute(this.native, name, attr))
    const results = this.native.executeMultipleOutputs(op, attributes, inputs, shapes.length)
    for (const result of results) this.temporaries.add(result)
    return results
  }

  protected int32(values: number[], shape: number[]): tf.TensorInfo {
    return cachedConstant(values, shape, 'int32')
  }

  float32(values: number[], shape: number[]): tf.TensorInfo {
    return cachedConstant(values, shape, 'float32')
  }

  /** Hands a result out of the scope as the tensor it is; an operand that is not a result gets its own copy. */
  toTensor<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
    const own = this.temporaries.has(info)
      ? info
      : this.emit('Identity', { T: { kind: 'type', value: DataType.float } }, [info])
    this.temporaries.delete(own)
    return own as tf.Tensor<R>
  }

  dispose(): void {
    for (const info of this.temporaries) (info as tf.Tensor).dispose()
    this.temporaries.clear()
  }
}

/** Runs fn with an EagerOps whose temporaries are disposed afterwards, whatever happens. */
export function withEagerOps<T>(fn: (scope: EagerOps) => T): T {
  const scope = new EagerOps()
  try {
    return fn(scope)
  } finally {
    scope.dispose()
  }
}
