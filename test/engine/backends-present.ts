import { graphFunctionsPresent } from '../../src-main/engine/executors/graph-ops'
import type { PassExecutor } from '../../src-main/engine/executors/run-pass'
import { listBackends } from '../../src-main/engine/runtime/backend'

export type TestBackend = 'tensorflow' | 'wasm' | 'cpu'

export interface PresentBackends {
  names: TestBackend[]
  skipped: { name: string; reason: string }[]
}

export interface PresentOptions {
  /** cpu is plain JavaScript: list it only where a suite is cheap enough on it. */
  includeCpu?: boolean
  /** Who asks, for the log line. */
  suite?: string
}

/**
 * The backends present in this process that engine tests should run on, with why any was skipped. The
 * tensorflow entry covers tfjs-node-gpu too: both register as 'tensorflow'. EMOHEAL_TEST_BACKENDS
 * (comma separated) narrows the list, e.g. for a CI job per backend.
 */
export async function backendsPresent(options: PresentOptions = {}): Promise<PresentBackends> {
  const statuses = await listBackends()
  const wanted = process.env.EMOHEAL_TEST_BACKENDS?.split(',').map((name) => name.trim())
  const names: TestBackend[] = []
  const skipped: { name: string; reason: string }[] = []
  const nativeAvailable = statuses.some(
    (status) => status.available && (status.name === 'tensorflow' || status.name === 'tensorflow-gpu')
  )
  for (const status of statuses) {
    const name = status.name === 'tensorflow-gpu' ? 'tensorflow' : (status.name as TestBackend)
    if (!status.available) {
      // tfjs-node not loading because tfjs-node-gpu already did is no gap in coverage.
      if (!(name === 'tensorflow' && nativeAvailable))
        skipped.push({ name: status.name, reason: status.reason ?? 'unavailable' })
      continue
    }
    if (names.includes(name)) continue
    if (name === 'cpu' && !options.includeCpu) {
      skipped.push({ name, reason: 'too slow for this suite' })
      continue
    }
    if (wanted && !wanted.includes(name)) {
      skipped.push({ name, reason: 'not in EMOHEAL_TEST_BACKENDS' })
      continue
    }
    names.push(name)
  }
  const why = skipped.map((entry) => `${entry.name}: ${entry.reason}`).join('; ')
  console.log(
    `[engine tests${options.suite ? `: ${options.suite}` : ''}] backends: ${names.join(', ') || 'none'}${
      why ? `; skipped ${why}` : ''
    }`
  )
  return { names, skipped }
}

/**
 * The executors a pass runs with on `backend`: on native TensorFlow its graph functions (where the binding
 * registers them), the eager binding and plain tfjs ops; elsewhere plain tfjs ops.
 */
export function executorsOn(backend: string): PassExecutor[] {
  if (backend !== 'tensorflow') return ['tfjs']
  return [...(graphFunctionsPresent() ? (['graph'] as const) : []), 'eager', 'tfjs']
}

/** Each of `backends` with each executor it has, a pair an entry. */
export function executorRuns<B extends string>(backends: B[]): { backend: B; executor: PassExecutor }[] {
  return backends.flatMap((backend) => executorsOn(backend).map((executor) => ({ backend, executor })))
}
