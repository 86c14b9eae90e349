import * as tf from '@tensorflow/tfjs'
import type { InputShape, Window } from '../windows/types'

/** Windows as model tensors: one [N, steps, channels] per input, labels int32 [N]. */
export interface WindowTensors {
  inputs: tf.Tensor3D[]
  labels: tf.Tensor1D
  count: number
}

export function inputTensors(inputs: Float32Array[][], shapes: InputShape[]): tf.Tensor3D[] {
  return shapes.map((shape, index) => {
    const size = shape.steps * shape.channels
    const data = new Float32Array(inputs.length * size)
    inputs.forEach((window, n) => data.set(window[index], n * size))
    return tf.tensor3d(data, [inputs.length, shape.steps, shape.channels])
  })
}

export function windowTensors(windows: Window[], shapes: InputShape[]): WindowTensors {
  return {
    inputs: inputTensors(
      windows.map((window) => window.inputs),
      shapes
    ),
    labels: tf.tensor1d(
      Int32Array.from(windows, (window) => window.label),
      'int32'
    ),
    count: windows.length
  }
}

export function disposeWindowTensors(tensors: WindowTensors): void {
  tf.dispose([...tensors.inputs, tensors.labels])
}
