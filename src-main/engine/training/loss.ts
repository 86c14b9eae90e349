import * as tf from '@tensorflow/tfjs'

/**
 * Cross-entropy from logits with per-class weights, normalised as PyTorch's weighted mean:
 * sum(w_y * nll) / sum(w_y). With all weights 1 it is the plain mean.
 */
export function weightedCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  classWeights: tf.Tensor1D
): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1]
    const logProbabilities = tf.logSoftmax(logits)
    const oneHot = tf.oneHot(labels, classes)
    const negativeLogLikelihood = tf.neg(tf.sum(tf.mul(oneHot, logProbabilities), 1))
    const weights = tf.gather(classWeights, labels)
    return tf.div(tf.sum(tf.mul(weights, negativeLogLikelihood)), tf.sum(weights)) as tf.Scalar
  })
}

/** Weights inversely proportional to class frequency (sklearn's "balanced"): n / (classes * count). */
export function balancedClassWeights(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0)
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++
  return counts.map((count) => (count > 0 ? labels.length / (classes * count) : 0))
}
