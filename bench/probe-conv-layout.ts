/** Native conv2d of a [1, B, T, C] (batch as rows) against [B, 1, T, C] (batch as images), with gradients. */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src-main/engine/runtime/backend'

async function main() {
  await useBackend('tensorflow')
  const rowsLayout = tf.randomNormal([1, 32, 322, 16]) as tf.Tensor4D
  const imagesLayout = tf.reshape(rowsLayout, [32, 1, 322, 16]) as tf.Tensor4D
  const filter = tf.randomNormal([1, 3, 16, 16]) as tf.Tensor4D
  const run = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const [dx, df] = tf.grads((input: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.conv2d(input as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'))
      )([x, filter])
      dx.dataSync()
      df.dataSync()
    })
  for (let round = 0; round < 3; round++) {
    for (const [label, x] of [
      ['[1,B,T,C]', rowsLayout],
      ['[B,1,T,C]', imagesLayout]
    ] as const) {
      for (let i = 0; i < 20; i++) run(x)
      const started = performance.now()
      for (let i = 0; i < 100; i++) run(x)
      console.log(label, ((performance.now() - started) / 100).toFixed(3), 'ms per forward + backward')
    }
  }
}
void main()
