import { useBackend, type BackendChoice, type BackendPreference } from '../backend'

/**
 * The backend for CLI model commands: --backend, else EMOHEAL_BACKEND, else auto (native TensorFlow where it
 * loads, then wasm, then cpu). Returns the choice and why, for the command's output.
 */
export async function ensureInferenceBackend(requested?: string): Promise<BackendChoice> {
  const preference = (requested ?? process.env.EMOHEAL_BACKEND ?? 'auto') as BackendPreference
  return useBackend(preference)
}
