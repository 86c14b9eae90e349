import { AppContext } from '../app-context'
import { APP_VERSION } from '../app-setup'
import type { BackendChoice } from '../engine/runtime/backend'
import { EngineSetup } from '../engine/runtime/engine-setup'
import { defaultStudyPath } from '../paths'
import { createServices, type AppServices, type ServiceOptions } from '../services/app-services'
import { recoverAbandonedWork } from '../store/recovery'
import { StudyStore } from '../store/study-store'
import { stringOption, type CliInput } from './command'

export function studyPathOf(input: CliInput): string {
  return stringOption(input.values, 'study') ?? defaultStudyPath()
}

/** The backend a command asks for: --backend, else EMOHEAL_BACKEND, else auto; named by where it came from. */
export function backendOption(input: CliInput): NonNullable<ServiceOptions['backend']> {
  const flag = stringOption(input.values, 'backend')
  return flag !== undefined
    ? { preference: flag, source: '--backend' }
    : { preference: process.env.EMOHEAL_BACKEND, source: 'EMOHEAL_BACKEND' }
}

/** Switches the engine to the backend the command asks for (see backendOption), for commands without a study. */
export function chooseBackend(input: CliInput): Promise<BackendChoice> {
  const { preference, source } = backendOption(input)
  return new EngineSetup(() => preference, source).choose()
}

/** Opens --study FILE (or the default study); `create` makes the file when it is missing. */
export function openStudyFromArgs(input: CliInput, create = false): StudyStore {
  const path = studyPathOf(input)
  const study = new StudyStore(path, { create })
  try {
    recoverAbandonedWork(study.db)
  } catch (error) {
    study.close()
    throw error
  }
  return study
}

/** Runs `body` with the study open and always closes it, so WAL is checkpointed on exit. */
export async function withStudy<T>(
  input: CliInput,
  create: boolean,
  body: (study: StudyStore) => Promise<T> | T
): Promise<T> {
  const study = openStudyFromArgs(input, create)
  try {
    return await body(study)
  } finally {
    study.close()
  }
}

export interface CliApp {
  context: AppContext
  services: AppServices
}

/**
 * Runs `body` with --study open in an app of its own, its services built by the same composition root as
 * Electron's and serve's, so that a command does what the app's call does. Whatever the body left running
 * is stopped, and the study closed, before it returns.
 */
export async function withServices<T>(input: CliInput, body: (app: CliApp) => Promise<T> | T): Promise<T> {
  const path = studyPathOf(input)
  const context = new AppContext({ defaultStudyPath: path, transport: 'cli', version: APP_VERSION })
  context.openStudy(path)
  const services = createServices(context, { backend: backendOption(input) })
  try {
    return await body({ context, services })
  } finally {
    await services.stop()
    context.close()
  }
}
