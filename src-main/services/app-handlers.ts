import type { AppContext } from '../app-context'
import { listBackends, useBackend, type BackendPreference } from '../engine/backend'
import type { HandlerMap } from '../ipc/handler'
import type { appCalls, BackendsInfo } from '../ipc/contract/app'

const chosen = new WeakMap<AppContext, Promise<BackendsInfo>>()

/** Chooses the engine backend once per app (EMOHEAL_BACKEND or auto) and remembers why. */
function backendsOf(context: AppContext): Promise<BackendsInfo> {
  let pending = chosen.get(context)
  if (!pending) {
    const preference = (process.env.EMOHEAL_BACKEND ?? 'auto') as BackendPreference
    pending = (async () => ({ backends: await listBackends(), chosen: await useBackend(preference) }))()
    chosen.set(context, pending)
    pending.catch(() => chosen.delete(context))
  }
  return pending
}

export const appHandlers: HandlerMap<keyof typeof appCalls> = {
  'app.info': async (_args, context) => ({
    version: context.options.version,
    transport: context.options.transport === 'electron' ? 'electron' : 'serve',
    defaultStudyPath: context.options.defaultStudyPath,
    backend: chosen.has(context) ? (await backendsOf(context)).chosen : null
  }),
  'app.backends': (_args, context) => backendsOf(context)
}
