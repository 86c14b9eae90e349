/** Per-op cost through tfjs-node: tfjs op, backend call, for a trivial and a medium tensor (for profiling). */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src-main/engine/runtime/backend'

function time(label: string, n: number, fn: () => void): void {
  for (let i = 0; i < 200; i++) fn()
  const started = performance.now()
  for (let i = 0; i < n; i++) fn()
  console.log(`${label.padEnd(40)} ${((1000 * (performance.now() - started)) / n).toFixed(1)} us`)
}

async function main(): Promise<void> {
  await useBackend('tensorflow')
  const small = tf.ones([4, 4])
  const medium = tf.ones([32, 320, 16])
  const backend = tf.backend() as unknown as {
    executeSingleOutput(name: string, attrs: unknown[], inputs: tf.TensorInfo[]): tf.TensorInfo
    disposeData(id: object): void
    binding: Record<string, number>
  }
  const type = { name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT }
  time('tf.add small', 3000, () => tf.add(small, small).dispose())
  time('tf.add medium', 1000, () => tf.add(medium, medium).dispose())
  time('backend Add small', 3000, () =>
    backend.disposeData(backend.executeSingleOutput('Add', [type], [small, small]).dataId)
  )
  time('backend Add medium', 1000, () =>
    backend.disposeData(backend.executeSingleOutput('Add', [type], [medium, medium]).dataId)
  )
  time('backend Neg small', 3000, () =>
    backend.disposeData(backend.executeSingleOutput('Neg', [type], [small]).dataId)
  )
  time('backend AddV2 small', 3000, () =>
    backend.disposeData(backend.executeSingleOutput('AddV2', [type], [small, small]).dataId)
  )
  time('runKernel Add small', 3000, () =>
    (tf.engine().runKernel('Add', { a: small, b: small }) as tf.Tensor).dispose()
  )
  const kernel = tf.getKernel('Add', 'tensorflow')!
  time('kernelFunc Add small', 3000, () => {
    const out = kernel.kernelFunc({
      inputs: { a: small, b: small },
      backend: tf.backend(),
      attrs: {}
    }) as tf.TensorInfo
    backend.disposeData(out.dataId)
  })
  time('tf.reshape small', 3000, () => tf.reshape(small, [16]).dispose())
  time('tf.tidy(add+mul+sub) small', 2000, () =>
    tf.tidy(() => tf.sub(tf.mul(tf.add(small, small), small), small)).dispose()
  )
}
void main()
