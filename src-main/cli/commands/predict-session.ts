import { ValidationError } from '../../errors'
import { readModelManifest } from '../../engine/registry/model-files'
import { isOnnxFile, predictOnnxSession } from '../../engine/onnx/onnx-predictor'
import { predictSession } from '../../engine/inference/session-inference'
import { integerOption, requireString, type CliInput } from '../command'
import { withServices, withStudy } from '../study-option'

/**
 * `emoheal predict --model DIR --session ID`: per-window probabilities over a recorded session, stored in the
 * study under the model's registry id (a model directory not yet registered is registered first). An exported
 * ONNX file runs on ONNX Runtime and its predictions are only printed.
 */
export async function predictSessionFromCli(input: CliInput) {
  const directory = requireString(input.values, 'model')
  const sessionId = integerOption(input.values, 'session') as number
  if (!(sessionId > 0)) throw new ValidationError('--session must be a session id', 'session')
  // An ONNX file is not a registry model: its predictions are printed, not stored.
  if (isOnnxFile(directory))
    return withStudy(input, false, async (study) => ({
      ok: true,
      runtime: 'onnxruntime',
      ...(await predictOnnxSession(directory, study, sessionId))
    }))
  return withServices(input, async ({ context, services }) => {
    const backend = await services.engine.choose()
    const manifest = await readModelManifest(directory)
    const study = context.study()
    const model = services.models.ensureRegistered(
      services.models.store(study),
      directory,
      manifest,
      'registered by emoheal predict'
    )
    const result = await predictSession(study, model.directory, sessionId, model.id)
    return { ok: true, backend, ...result }
  })
}
