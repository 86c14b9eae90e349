import { ValidationError } from '../../errors'
import {
  backendPreferences,
  listBackends,
  useBackend,
  type BackendChoice,
  type BackendPreference,
  type BackendStatus
} from './backend'

/** A backend preference as given (a flag, EMOHEAL_BACKEND), checked; `where` names its source in the error. */
export function backendPreferenceOf(value: string | undefined, where = 'backend'): BackendPreference {
  const preference = value ?? 'auto'
  if (!(backendPreferences as readonly string[]).includes(preference)) {
    throw new ValidationError(
      `${where} must be one of ${backendPreferences.join(', ')}, got "${preference}"`,
      where.replace(/^--/, '')
    )
  }
  return preference as BackendPreference
}

/**
 * The engine's backend of one process, chosen once from its preference the first time the engine is
 * needed (probing each backend takes seconds, and a model loaded during the probe fails), then remembered
 * with why. A failed choice is forgotten, so the next call tries again.
 */
export class EngineSetup {
  private choice: Promise<BackendChoice> | null = null
  private listing: Promise<{ backends: BackendStatus[]; chosen: BackendChoice }> | null = null

  /**
   * `preference` is read when the backend is first needed (auto when it gives none); `source` names where it
   * came from in the error for a value that is no backend (EMOHEAL_BACKEND, --backend).
   */
  constructor(
    private readonly preference: () => string | undefined,
    private readonly source = 'EMOHEAL_BACKEND'
  ) {}

  /** The backend, switched to on the first call; every later call gets the same choice. */
  choose(): Promise<BackendChoice> {
    if (!this.choice) {
      const choice = (async () => useBackend(backendPreferenceOf(this.preference(), this.source)))()
      this.choice = choice
      choice.catch(() => {
        if (this.choice === choice) this.choice = null
      })
    }
    return this.choice
  }

  /** Every backend with why it is or is not available (probed once), and the one chosen. */
  backends(): Promise<{ backends: BackendStatus[]; chosen: BackendChoice }> {
    if (!this.listing) {
      const listing = (async () => {
        const backends = await listBackends()
        return { backends, chosen: await this.choose() }
      })()
      this.listing = listing
      listing.catch(() => {
        if (this.listing === listing) this.listing = null
      })
    }
    return this.listing
  }

  /** The choice, when it has been asked for (waiting for it if it is being made); null before. */
  async chosenSoFar(): Promise<BackendChoice | null> {
    if (this.choice) return await this.choice
    return this.listing ? (await this.listing).chosen : null
  }

  /** What a worker thread asks for: the backend chosen here, so it does not probe again. */
  async workerPreference(): Promise<BackendPreference> {
    const chosen = await this.choose()
    return backendPreferences.find((name) => name === chosen.name) ?? 'auto'
  }
}
