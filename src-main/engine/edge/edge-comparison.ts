import * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import type { StudyStore } from '../../store/study-store'
import type { ModelManifest } from '../registry/model-files'
import { windowOptionsOf } from '../inference/session-inference'
import { nativeRateInputShapes } from '../model/native-rate-model'
import { inputTensors } from '../training/tensors'
import { extractWindows } from '../windows/extract'
import { normalizeInputs } from '../windows/normalize'

/** Windows to compare a model and its quantized copy on: one tensor per model input, labels where known. */
export interface EvaluationInputs {
  inputs: tf.Tensor3D[]
  labels: number[] | null
  description: string
}

export interface EdgeComparison {
  description: string
  windows: number
  /** Accuracy on the labels (null without labels), and edge minus float32. */
  float32Accuracy: number | null
  edgeAccuracy: number | null
  accuracyChange: number | null
  /** Fraction of windows where both models predict the same class. */
  agreement: number
  maxProbabilityDifference: number
  meanProbabilityDifference: number
}

function modelInputShapes(manifest: ModelManifest): [number, number][] {
  const config = manifest.config
  if (config.kind === 'paper') return [[config.steps, manifest.inputChannels?.length ?? 5]]
  return nativeRateInputShapes(config).map((input) => input.shape)
}

/** Standard-normal windows (the scale of z-scored signals), seeded: for a model without evaluation windows. */
export function randomEvaluationInputs(manifest: ModelManifest, count: number, seed = 1): EvaluationInputs {
  const inputs = modelInputShapes(manifest).map(
    ([steps, channels], index) =>
      tf.randomNormal([count, steps, channels], 0, 1, 'float32', seed + index) as tf.Tensor3D
  )
  return { inputs, labels: null, description: `${count} random windows, N(0, 1), seed ${seed}` }
}

/** The labelled windows of a study, prepared as the model's training prepared them (its normalization). */
export function studyEvaluationInputs(study: StudyStore, manifest: ModelManifest): EvaluationInputs {
  const options = windowOptionsOf(manifest)
  const set = extractWindows(study, options)
  if (set.windows.length === 0) {
    const { missingSignal, gapped, unlabelled } = set.dropped
    throw new ValidationError(
      `the study has no usable ${set.target} windows for this model (dropped: ${missingSignal} missing signal, ` +
        `${gapped} gapped, ${unlabelled} unlabelled)`,
      'study'
    )
  }
  const stats = manifest.normalization
  const prepared = set.windows.map((window) =>
    stats
      ? normalizeInputs(window.inputs, stats.participants[window.participant] ?? stats.pooled)
      : window.inputs
  )
  return {
    inputs: inputTensors(prepared, set.inputs),
    labels: set.windows.map((window) => window.label),
    description: `${set.windows.length} ${set.target} windows of the study (${set.labelSource} labels, above ${set.threshold} = high)`
  }
}

function probabilitiesOf(model: tf.LayersModel, inputs: tf.Tensor3D[], batchSize = 256): Float32Array[] {
  const count = inputs[0].shape[0]
  const rows: Float32Array[] = []
  for (let from = 0; from < count; from += batchSize) {
    const size = Math.min(batchSize, count - from)
    const output = tf.tidy(() => {
      const batch = inputs.map((input) => input.slice([from, 0, 0], [size, -1, -1]))
      return model.predict(batch.length === 1 ? batch[0] : batch) as tf.Tensor2D
    })
    const values = output.dataSync() as Float32Array
    const classes = output.shape[1]
    for (let row = 0; row < size; row++) rows.push(values.slice(row * classes, (row + 1) * classes))
    output.dispose()
  }
  return rows
}

function argMax(values: Float32Array): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i
  return best
}

/** How far a quantized model's probabilities and decisions move from the float32 model's on the same windows. */
export function compareModels(
  reference: tf.LayersModel,
  edge: tf.LayersModel,
  evaluation: EvaluationInputs
): EdgeComparison {
  const expected = probabilitiesOf(reference, evaluation.inputs)
  const actual = probabilitiesOf(edge, evaluation.inputs)
  let agreeing = 0
  let maxDifference = 0
  let differenceSum = 0
  let referenceHits = 0
  let edgeHits = 0
  expected.forEach((row, index) => {
    const referenceClass = argMax(row)
    const edgeClass = argMax(actual[index])
    if (referenceClass === edgeClass) agreeing++
    for (let c = 0; c < row.length; c++) {
      const difference = Math.abs(row[c] - actual[index][c])
      maxDifference = Math.max(maxDifference, difference)
      differenceSum += difference / row.length
    }
    if (evaluation.labels) {
      if (referenceClass === evaluation.labels[index]) referenceHits++
      if (edgeClass === evaluation.labels[index]) edgeHits++
    }
  })
  const windows = expected.length
  const float32Accuracy = evaluation.labels ? referenceHits / windows : null
  const edgeAccuracy = evaluation.labels ? edgeHits / windows : null
  return {
    description: evaluation.description,
    windows,
    float32Accuracy,
    edgeAccuracy,
    accuracyChange: float32Accuracy !== null && edgeAccuracy !== null ? edgeAccuracy - float32Accuracy : null,
    agreement: agreeing / windows,
    maxProbabilityDifference: maxDifference,
    meanProbabilityDifference: differenceSum / windows
  }
}
