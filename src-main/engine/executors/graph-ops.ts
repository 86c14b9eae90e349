import * as tf from '@tensorflow/tfjs'
import { DataType, type AttrValue } from '../ops/attributes'
import { TensorOps, type Operand } from '../ops/tensor-ops'
import type { TfjsNodeBackend } from './eager-ops'
import { encodeFunctionDef, type NodeDef } from './function-def'

/**
 * Records TensorOps operations into a TensorFlow FunctionDef instead of running them. Registered in the
 * binding's eager context (scripts/native/function-patch.mjs adds the call), the function then runs as one op:
 * TensorFlow's executor costs a few microseconds a node where each eager op through the binding costs
 * 30-50 µs, and that per-op cost, not the arithmetic, sets the speed of these small layers.
 */
export interface GraphOperand extends Operand {
  /** "argName" for a function argument, "node:outputArg:0" for a node's output. */
  readonly ref: string
}

export class GraphOps extends TensorOps<GraphOperand> {
  private readonly nodes: NodeDef[] = []
  private readonly inputs: { name: string; type: number }[] = []
  private readonly constants = new Map<string, GraphOperand>()

  argument(name: string, shape: number[]): GraphOperand {
    this.inputs.push({ name, type: DataType.float })
    return { ref: name, shape }
  }

  protected emit(
    op: string,
    attrs: Record<string, AttrValue>,
    inputs: GraphOperand[],
    outputArg: string,
    shape: number[]
  ): GraphOperand {
    const name = `n${this.nodes.length}_${op.toLowerCase()}`
    this.nodes.push({ name, op, inputs: inputs.map((input) => input.ref), attrs })
    return { ref: `${name}:${outputArg}:0`, shape }
  }

  protected emitList(
    op: string,
    attrs: Record<string, AttrValue>,
    inputs: GraphOperand[],
    outputArg: string,
    shapes: number[][]
  ): GraphOperand[] {
    const name = `n${this.nodes.length}_${op.toLowerCase()}`
    this.nodes.push({ name, op, inputs: inputs.map((input) => input.ref), attrs })
    return shapes.map((shape, i) => ({ ref: `${name}:${outputArg}:${i}`, shape }))
  }

  protected int32(values: number[], shape: number[]): GraphOperand {
    return this.constant(values, shape, 'int32')
  }

  float32(values: number[], shape: number[]): GraphOperand {
    return this.constant(values, shape, 'float32')
  }

  private constant(values: number[], shape: number[], dtype: 'int32' | 'float32'): GraphOperand {
    const key = `${dtype}:${shape.join('x')}:${values.join(',')}`
    let constant = this.constants.get(key)
    if (!constant) {
      const int32 = dtype === 'int32'
      constant = this.emit(
        'Const',
        {
          dtype: { kind: 'type', value: int32 ? DataType.int32 : DataType.float },
          value: { kind: int32 ? 'int32Tensor' : 'floatTensor', value: values, shape }
        },
        [],
        'output',
        shape
      )
      this.constants.set(key, constant)
    }
    return constant
  }

  /** The function's serialized FunctionDef, its outputs named out0, out1, ... */
  encode(name: string, outputs: GraphOperand[]): Uint8Array {
    // A function may not return its argument as it is: such an output goes through an Identity node.
    const sources = outputs.map((output) =>
      output.ref.includes(':')
        ? output
        : this.emit(
            'Identity',
            { T: { kind: 'type', value: DataType.float } },
            [output],
            'output',
            output.shape
          )
    )
    return encodeFunctionDef({
      name,
      inputs: this.inputs,
      outputs: sources.map((output, i) => ({ name: `out${i}`, type: DataType.float, source: output.ref })),
      nodes: this.nodes
    })
  }
}

const registered = new Map<string, { name: string; outputs: number[][] }>()
let counter = 0

function tensorflowBackend(): TfjsNodeBackend {
  return tf.backend() as unknown as TfjsNodeBackend
}

/** The key each registered function was built for, by its name (for profiling). */
export function registeredFunctions(): Map<string, string> {
  return new Map([...registered].map(([key, entry]) => [entry.name, key]))
}

/**
 * Whether native TensorFlow is loaded here with a binding that registers functions (built by setup-native
 * with the patch), whichever backend is in use now. EMOHEAL_GRAPH_FUNCTIONS=0 turns them off.
 */
export function graphFunctionsPresent(): boolean {
  const tensorflow = tf.findBackend('tensorflow') as unknown as TfjsNodeBackend | null
  return (
    typeof tensorflow?.binding?.emohealRegisterFunction === 'function' &&
    process.env.EMOHEAL_GRAPH_FUNCTIONS !== '0'
  )
}

/** Whether the backend in use runs graph functions. */
export function graphFunctionsAvailable(): boolean {
  return tf.getBackend() === 'tensorflow' && graphFunctionsPresent()
}

/**
 * A function built once per key by `build` (which declares its arguments on the GraphOps and returns its
 * outputs), registered in the binding, and run as one op on tensors: its results are tfjs tensors in the
 * current scope.
 */
export function graphFunction(
  key: string,
  build: (ops: GraphOps) => GraphOperand[]
): (inputs: tf.TensorInfo[]) => tf.Tensor[] {
  let entry = registered.get(key)
  if (!entry) {
    const ops = new GraphOps()
    const outputs = build(ops)
    const name = `emoheal_fn_${counter++}_${process.pid}`
    tensorflowBackend().binding.emohealRegisterFunction?.(ops.encode(name, outputs))
    entry = { name, outputs: outputs.map((output) => output.shape) }
    registered.set(key, entry)
  }
  const { name, outputs } = entry
  return (inputs) => tensorflowBackend().executeMultipleOutputs(name, [], inputs, outputs.length)
}
