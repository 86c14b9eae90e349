import * as tf from '@tensorflow/tfjs'
import { logitsModel } from './logits'

export interface KernelCount {
  /** Kernels run by one training step (forward, backward, Adam update), after a warm-up step. */
  kernels: number
  /** Kernels by name, most frequent first. */
  byName: { name: string; count: number }[]
}

/**
 * Counts the kernels of one training step with tf.profile. This tiny model's speed is set by per-kernel
 * overhead (~12 µs each), so benchmarks print this count beside their timings.
 */
export async function countTrainingStepKernels(
  model: tf.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  oneHotLabels: tf.Tensor
): Promise<KernelCount> {
  const logits = logitsModel(model)
  const optimizer = tf.train.adam(1e-4)
  const step = () =>
    tf.tidy(() => {
      optimizer.minimize(() => {
        const output = logits.apply(inputs, { training: true }) as tf.Tensor
        return tf.losses.softmaxCrossEntropy(oneHotLabels, output) as tf.Scalar
      })
    })
  step()
  const info = await tf.profile(step)
  optimizer.dispose()
  const counts = new Map<string, number>()
  for (const kernel of info.kernels) counts.set(kernel.name, (counts.get(kernel.name) ?? 0) + 1)
  const byName = [...counts.entries()]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count)
  return { kernels: info.kernels.length, byName }
}

/** Kernels run by one inference call on the given inputs. */
export async function countInferenceKernels(
  model: tf.LayersModel,
  inputs: tf.Tensor | tf.Tensor[]
): Promise<number> {
  const info = await tf.profile(() => tf.tidy(() => model.predict(inputs) as tf.Tensor))
  return info.kernels.length
}
