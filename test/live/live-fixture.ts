import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { importDataset } from '../../src-main/datasets/import-service'
import { synthesizeKemocon } from '../../src-main/datasets/synth/synthesize'
import { saveModel } from '../../src-main/engine/registry/model-files'
import { buildModel, parseModelConfig, type ModelConfigInput } from '../../src-main/engine/model'
import { extractWindows } from '../../src-main/engine/windows/extract'
import { fitNormalization } from '../../src-main/engine/windows/normalize'
import { StudyStore } from '../../src-main/store/study-store'

/** A synthetic K-EmoCon copy (`emoheal synth`) imported into a new study: real E4 streams with reports. */
export function syntheticStudy(options: { participants: number; minutes: number; seed: number }): {
  study: StudyStore
  dir: string
} {
  const dir = mkdtempSync(join(tmpdir(), 'emoheal-live-'))
  const out = join(dir, 'kemocon')
  synthesizeKemocon({ out, ...options, leadMinutes: 0.5, tailMinutes: 0.5 })
  const study = new StudyStore(join(dir, 'study.emoheal-study'), { create: true, name: 'live' })
  const report = importDataset(study, { kind: 'kemocon', path: out })
  if (report.problems.length) throw new Error(`import problems: ${report.problems.join('; ')}`)
  return { study, dir }
}

/**
 * A saved model with weights far from their small initial values (so every input moves the output) and the
 * per-participant z-score statistics of the study's windows, as a training run saves them.
 */
export async function savedModel(
  study: StudyStore,
  directory: string,
  input: ModelConfigInput,
  seed: number
): Promise<string> {
  const config = parseModelConfig(input)
  const preset = config.kind === 'paper' ? 'paper' : 'native'
  const windowOptions =
    config.kind === 'paper'
      ? { preset, windowMs: 5000, points: config.steps }
      : { preset, windowMs: config.windowSeconds * 1000, sensors: config.sensors }
  const set = extractWindows(study, windowOptions as Parameters<typeof extractWindows>[1])
  const model = buildModel(config, { seed })
  model.setWeights(
    model.getWeights().map((weight, index) => tf.randomNormal(weight.shape, 0, 0.3, 'float32', seed + index))
  )
  try {
    await saveModel(model, directory, {
      config,
      labels: ['low', 'high'],
      normalization: fitNormalization(set.windows, set.inputs),
      windows: { target: 'arousal', windowMs: set.windowMs, preset }
    })
  } finally {
    model.dispose()
  }
  return directory
}
