/** Native Reshape: tfjs-node's kernel (uploads a shape tensor per call) against one with cached shapes. */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src-main/engine/backend'

async function main() {
  await useBackend('tensorflow')
  const x = tf.randomNormal([5, 32, 20, 25])
  const time = (label: string) => {
    for (let i = 0; i < 500; i++) tf.tidy(() => tf.reshape(x, [5, 640, 25]))
    const started = performance.now()
    for (let i = 0; i < 5000; i++) tf.tidy(() => tf.reshape(x, [5, 640, 25]))
    console.log(label, (((performance.now() - started) / 5000) * 1000).toFixed(1), 'µs per reshape')
    const s2 = performance.now()
    for (let i = 0; i < 5000; i++) tf.tidy(() => tf.add(x, 1))
    console.log(label, 'add scalar', (((performance.now() - s2) / 5000) * 1000).toFixed(1), 'µs')
  }
  time('tfjs-node')
  const { useCachedReshapeShapes } = await import('../src-main/engine/layers/native-reshape')
  useCachedReshapeShapes()
  time('cached shapes')
}
void main()
