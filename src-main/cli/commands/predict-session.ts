import { resolve } from 'node:path'
import { ValidationError } from '../../errors'
import { readModelManifest } from '../../engine/model-files'
import { ensureInferenceBackend } from '../../engine/model/inference-backend'
import { isOnnxFile, predictOnnxSession } from '../../engine/onnx/onnx-predictor'
import { predictSession } from '../../engine/session-inference'
import { ModelStore } from '../../store/model-store'
import { integerOption, requireString, stringOption, type CliInput } from '../command'
import { withStudy } from '../study-option'

/**
 * `emoheal predict --model DIR --session ID`: per-window probabilities over a recorded session, stored in the
 * study under the model's registry id (a model directory not yet registered is registered first). An exported
 * ONNX file runs on ONNX Runtime and its predictions are only printed.
 */
export async function predictSessionFromCli(input: CliInput) {
  const directory = resolve(requireString(input.values, 'model'))
  const sessionId = integerOption(input.values, 'session') as number
  if (!(sessionId > 0)) throw new ValidationError('--session must be a session id', 'session')
  // An ONNX file is not a registry model: its predictions are printed, not stored.
  if (isOnnxFile(directory))
    return withStudy(input, false, async (study) => ({
      ok: true,
      runtime: 'onnxruntime',
      ...(await predictOnnxSession(directory, study, sessionId))
    }))
  const backend = await ensureInferenceBackend(stringOption(input.values, 'backend'))
  const manifest = await readModelManifest(directory)
  return withStudy(input, false, async (study) => {
    const models = new ModelStore(study.db)
    const target =
      ((manifest.metrics as Record<string, unknown> | null)?.windows as { target?: string } | undefined)
        ?.target ?? 'arousal'
    const model =
      models.listModels().find((candidate) => resolve(candidate.directory) === directory) ??
      models.registerModel({
        name: `${manifest.config.kind} ${target} (${manifest.source ?? 'imported'})`,
        directory,
        preset: manifest.config.kind === 'paper' ? 'paper' : 'native',
        target,
        config: manifest.config,
        metrics: manifest.metrics ?? {}
      })
    const result = await predictSession(study, directory, sessionId, model.id)
    return { ok: true, backend, ...result }
  })
}
