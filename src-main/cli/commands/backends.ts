import {
  backendPreferences,
  listBackends,
  useBackend,
  type BackendPreference,
  type BackendStatus
} from '../../engine/backend'
import { ValidationError } from '../../errors'
import { stringOption, type CliCommand } from '../command'

interface BackendsResult {
  backends: BackendStatus[]
  chosen: string
  why: string
}

function preferenceOf(value: string | undefined): BackendPreference {
  const preference = value ?? 'auto'
  if (!(backendPreferences as readonly string[]).includes(preference)) {
    throw new ValidationError(
      `--backend must be one of ${backendPreferences.join(', ')}, got "${preference}"`,
      'backend'
    )
  }
  return preference as BackendPreference
}

export const backendsCommand: CliCommand = {
  path: ['backends'],
  summary: 'list the TensorFlow.js backends, why any is unavailable, and which one the engine picks',
  usage: 'backends [--backend auto|tensorflow|wasm|cpu] [--json]',
  options: { backend: { type: 'string' } },
  async run(input): Promise<BackendsResult> {
    const preference = preferenceOf(stringOption(input.values, 'backend'))
    const backends = await listBackends()
    const choice = await useBackend(preference)
    return { backends, chosen: choice.name, why: choice.why }
  },
  format(result) {
    const { backends, chosen, why } = result as BackendsResult
    const lines = backends.map((backend) => {
      const detail = backend.available
        ? [
            backend.tensorflow ? `TensorFlow ${backend.tensorflow}` : '',
            backend.devices?.join(' ') ?? '',
            backend.graphFunctions === undefined
              ? ''
              : `graph functions ${backend.graphFunctions ? 'yes' : 'no'}`
          ]
            .filter(Boolean)
            .join(', ')
        : (backend.reason ?? '')
      return `${backend.available ? 'yes' : 'no '}  ${backend.name.padEnd(15)} ${detail}`
    })
    return [...lines, '', `chosen: ${chosen} (${why})`].join('\n')
  }
}
