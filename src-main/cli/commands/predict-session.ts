import { ValidationError } from '../../errors'
import { readModelManifest } from '../../engine/model-files'
import { predictSession } from '../../engine/session-inference'
import { integerOption, requireString, type CliInput } from '../command'
import { withServices } from '../study-option'

/**
 * `emoheal predict --model DIR --session ID`: per-window probabilities over a recorded session, stored in the
 * study under the model's registry id (a model directory not yet registered is registered first).
 */
export async function predictSessionFromCli(input: CliInput) {
  const directory = requireString(input.values, 'model')
  const sessionId = integerOption(input.values, 'session') as number
  if (!(sessionId > 0)) throw new ValidationError('--session must be a session id', 'session')
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
