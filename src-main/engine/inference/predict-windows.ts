import * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import { loadModel } from '../registry/model-files'
import { paperChannels } from '../model/config'
import { validateWindows } from '../model/window-input'

export interface WindowPrediction {
  probabilities: number[][]
  /** Index of the most probable class per window, and its label. */
  predicted: number[]
  labels: string[]
  predictedLabels: string[]
  channels: string[]
  windows: number
}

/** Class probabilities of a paper-shaped model for windows given as [N][steps][channels], by model.predict. */
export async function predictWindows(modelDir: string, input: unknown): Promise<WindowPrediction> {
  const { model, manifest } = await loadModel(modelDir)
  try {
    if (manifest.config.kind !== 'paper') {
      throw new ValidationError(
        `${modelDir} holds a ${manifest.config.kind} model; --input windows fit the paper model only`,
        'model'
      )
    }
    const channels = manifest.inputChannels ?? [...paperChannels]
    const steps = manifest.config.steps
    const data = validateWindows(input, channels, steps)
    const count = data.length / (steps * channels.length)
    const probabilities = tf.tidy(
      () => model.predict(tf.tensor3d(data, [count, steps, channels.length])) as tf.Tensor2D
    )
    const rows = (await probabilities.array()) as number[][]
    probabilities.dispose()
    const predicted = rows.map((row) => row.indexOf(Math.max(...row)))
    return {
      probabilities: rows,
      predicted,
      labels: manifest.labels,
      predictedLabels: predicted.map((index) => manifest.labels[index] ?? String(index)),
      channels,
      windows: count
    }
  } finally {
    model.dispose()
  }
}
