import type { BackendStatus } from '../../engine/runtime/backend'
import { EngineSetup } from '../../engine/runtime/engine-setup'
import { stringOption, type CliCommand } from '../command'

interface BackendsResult {
  backends: BackendStatus[]
  chosen: string
  why: string
}

export const backendsCommand: CliCommand = {
  path: ['backends'],
  summary: 'list the TensorFlow.js backends, why any is unavailable, and which one the engine picks',
  usage: 'backends [--backend auto|tensorflow|wasm|cpu] [--json]',
  options: { backend: { type: 'string' } },
  async run(input): Promise<BackendsResult> {
    // What app.backends answers, with the flag's preference (auto without one; EMOHEAL_BACKEND is not read).
    const engine = new EngineSetup(() => stringOption(input.values, 'backend'), '--backend')
    const { backends, chosen } = await engine.backends()
    return { backends, chosen: chosen.name, why: chosen.why }
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
