import { resolve } from 'node:path'
import { NotFoundError } from '../../errors'
import type { ReviewItemView } from '../../ipc/contract/engine'
import { ModelStore, type ModelRecord } from '../../store/model-store'
import type { StudyStore } from '../../store/study-store'
import { manifestWindowsOf, type ModelManifest } from './model-files'

/** Where a model directory came from, for the name it is registered under when none is given. */
export type ModelOrigin = { runId: number } | { importedFrom: string } | { registeredBy: string }

function defaultName(manifest: ModelManifest, origin: ModelOrigin): string {
  const preset = manifest.config.kind === 'paper' ? 'paper' : 'native'
  const what = `${preset} ${manifestWindowsOf(manifest).target}`
  if ('runId' in origin) return `${what} (run ${origin.runId})`
  if ('importedFrom' in origin) return `${what} (imported ${origin.importedFrom})`
  return `${what} (${manifest.source ?? origin.registeredBy})`
}

/**
 * Adds a complete model directory to a study's registry, every field read from its manifest: one way for a
 * trained run, an imported state_dict and a directory named on the command line. The registry row keeps the
 * window settings beside the metrics, where the renderer's model track reads the window length.
 */
export function registerModelDirectory(
  store: ModelStore,
  directory: string,
  manifest: ModelManifest,
  origin: ModelOrigin,
  name?: string
): ModelRecord {
  const windows = manifestWindowsOf(manifest)
  return store.registerModel({
    name: name?.trim() || defaultName(manifest, origin),
    directory,
    preset: manifest.config.kind === 'paper' ? 'paper' : 'native',
    target: windows.target,
    config: manifest.config,
    metrics: {
      ...manifest.metrics,
      windows,
      parameterCount: manifest.parameterCount,
      ...(manifest.source ? { source: manifest.source } : {})
    }
  })
}

/** The model a live run or a recording uses when none is named: the active arousal model, else any active one. */
export function activeLiveModel(store: ModelStore): ModelRecord | null {
  const active = store.listModels().filter((model) => model.active)
  return active.find((model) => model.target === 'arousal') ?? active[0] ?? null
}

/** Out-of-fold disagreements of a run (the latest finished one by default), most confident first. */
export function reviewOf(
  store: ModelStore,
  runId: number | undefined,
  minConfidence: number,
  limit: number
): ReviewItemView[] {
  const run =
    runId !== undefined
      ? store.getRun(runId)
      : store.listRuns().find((candidate) => candidate.status === 'done')
  if (!run) throw new NotFoundError('no finished training run to review yet', 'runId')
  const items = (run.results?.review ?? []) as ReviewItemView[]
  return items.filter((item) => item.confidence >= minConfidence).slice(0, limit)
}

/** The model registry of whichever study is open: what the Train page, the CLI and the recorder ask of it. */
export class ModelRegistry {
  constructor(private readonly study: () => StudyStore) {}

  /** The registry of the study open now; a caller that must keep to one study holds on to it. */
  store(study: StudyStore = this.study()): ModelStore {
    return new ModelStore(study.db)
  }

  /** The model named by id, else the active one `pick` chooses; NotFoundError saying what to do when none is. */
  modelOrActive(
    store: ModelStore,
    modelId: number | undefined,
    pick: (store: ModelStore) => ModelRecord | null,
    where: string
  ): ModelRecord {
    const model = modelId !== undefined ? store.getModel(modelId) : pick(store)
    if (!model) throw new NotFoundError(`no model given and none is active: activate one ${where}`, 'modelId')
    return model
  }

  /** The registered model of a directory, registering it first when it is not in the registry yet. */
  ensureRegistered(store: ModelStore, directory: string, manifest: ModelManifest, by: string): ModelRecord {
    const absolute = resolve(directory)
    return (
      store.listModels().find((candidate) => resolve(candidate.directory) === absolute) ??
      registerModelDirectory(store, absolute, manifest, { registeredBy: by })
    )
  }
}
