import type { AppContext } from '../app-context'
import { EngineSetup } from '../engine/runtime/engine-setup'
import { LiveService } from '../engine/live/live-service'
import { ModelRegistry } from '../engine/registry/model-registry'
import { RunService } from '../engine/runs/run-service'
import { RecordingService } from '../recording/recording-service'
import { OverlayWorker } from '../signal/overlay-computer'
import { SessionFeatureCache } from '../signal/session-features'
import { SignalServices } from '../signal/signal-services'

/** The long-lived services of one process, built once by its composition root and handed to the handlers. */
export interface AppServices {
  /** The engine's backend, chosen once when first needed. */
  engine: EngineSetup
  /** The open study's model registry. */
  models: ModelRegistry
  /** Training runs, each in a worker thread. */
  runs: RunService
  /** Live inference on a source's samples. */
  live: LiveService
  recording: RecordingService
  /** The viewer's views and overlays of the open study; the overlays are computed in a worker thread. */
  signals: SignalServices
  /** The label windows' physiological features: what the filters made of each session, kept between calls. */
  features: SessionFeatureCache
  /** Stops what runs in the background (a recording, training, live inference, the overlay worker) before the study closes. */
  stop(): Promise<void>
}

export interface ServiceOptions {
  /**
   * The backend preference (auto, tensorflow, wasm, cpu) and where it came from, e.g. a --backend flag;
   * EMOHEAL_BACKEND by default, read when the engine is first set up.
   */
  backend?: { preference: string | undefined; source: string }
}

/**
 * The composition root of every entry (Electron, `emoheal serve`, the CLI): each service is made here, once,
 * with its collaborators, and the handlers and commands are given them.
 */
export function createServices(context: AppContext, options: ServiceOptions = {}): AppServices {
  const engine = new EngineSetup(
    () => (options.backend ? options.backend.preference : process.env.EMOHEAL_BACKEND),
    options.backend?.source
  )
  const models = new ModelRegistry(() => context.study())
  const runs = new RunService({
    study: () => context.study(),
    emit: (progress) => context.emit('train.progress', progress),
    sqliteBinding: context.options.sqliteBinding
  })
  const live = new LiveService({ emit: (name, payload) => context.emit(name, payload) })
  // The model belongs to the study: another study's page must not show its predictions.
  context.onEvent((name) => {
    if (name === 'study.changed') live.halt('the study changed')
  })
  const recording = new RecordingService({
    context,
    live,
    // A model loaded while the backends are probed fails: the engine is set up first.
    prepareEngine: () => engine.backends()
  })
  // One worker thread for the viewer's filters: the Annotate overlays and the Labels table's features.
  const filters = new OverlayWorker()
  const signals = new SignalServices(context, filters)
  return {
    engine,
    models,
    runs,
    live,
    recording,
    signals,
    features: new SessionFeatureCache(8, filters),
    async stop() {
      await recording.stop()
      live.stop()
      await runs.stopAll()
      await signals.close()
    }
  }
}
