import { ConflictError } from '../../errors'
import type { LiveSource } from '../../devices/live-source'
import { SimulatedWristband } from '../../devices/simulator'
import type { Events } from '../../ipc/contract'
import type { LiveModelView, LiveSourceKind, LiveStatusView, LiveTickView } from '../../ipc/contract/live'
import type { ModelRecord } from '../../store/model-store'
import { systemClock, type LiveClock } from '../../devices/clock'
import { DISPLAY_HZ, DisplayDecimator } from './decimate'
import { LiveInference, type LiveTick } from './live-inference'
import type { WindowPredictor } from '../inference/window-predictor'
import type { ModelManifest } from '../registry/model-files'
import { loadLiveModel } from './load'

type LiveEvent = 'live.samples' | 'live.tick' | 'live.state'

export interface LiveServiceOptions {
  emit: <N extends LiveEvent>(name: N, payload: Events[N]) => void
  clock?: LiveClock
  /** Makes the source of a start; default the built-in simulated wristband. */
  createSource?: (kind: LiveSourceKind, clock: LiveClock) => LiveSource
  loadModel?: typeof loadLiveModel
}

/** How a source other than the built-in ones is run: its label, and who else hears each second's result. */
export interface AttachOptions {
  kind: 'recording'
  /** Whose normalization statistics the model uses (a participant code). */
  participant?: string | null
  onTick?: (tick: LiveTickView) => void
}

interface Running {
  /** Frees the model's predictor when the run ends. */
  release: () => void
  liveId: number
  kind: LiveSourceKind | 'recording'
  source: LiveSource
  /** Absent when no model predicts: the samples are still shown (and recorded by whoever feeds them). */
  inference: LiveInference | null
  model: LiveModelView | null
  onTick?: (tick: LiveTickView) => void
  startedMs: number
  predictions: number
  skips: number
  last: LiveTickView | null
}

/**
 * One live run at a time: a source streaming samples, live inference over them with one model (or none), and
 * events for the renderers (decimated samples as they arrive, each second's result). It stores nothing: a
 * recording feeds it through `attach` and stores the samples itself.
 */
export class LiveService {
  private running: Running | null = null
  private starting = false
  private nextId = 1
  private stoppedBecause: string | null = null
  private readonly clock: LiveClock

  constructor(private readonly options: LiveServiceOptions) {
    this.clock = options.clock ?? systemClock
  }

  status(): LiveStatusView {
    const run = this.running
    return {
      running: run !== null,
      liveId: run?.liveId ?? null,
      source: run?.kind ?? null,
      startedMs: run?.startedMs ?? null,
      model: run?.model ?? null,
      streams: run ? run.source.streams.map((stream) => ({ ...stream, channels: [...stream.channels] })) : [],
      displayHz: DISPLAY_HZ,
      predictions: run?.predictions ?? 0,
      skips: run?.skips ?? 0,
      last: run?.last ?? null,
      stoppedBecause: run ? null : this.stoppedBecause,
      recording: run?.kind === 'recording'
    }
  }

  /** Streams the built-in source `kind` with `model` predicting. */
  start(kind: LiveSourceKind, model: ModelRecord): Promise<LiveStatusView> {
    return this.run(kind, () => (this.options.createSource ?? defaultSource)(kind, this.clock), model, {})
  }

  /** Shows and predicts on a source someone else runs (a recording); `model` null shows it only. */
  attach(source: LiveSource, model: ModelRecord | null, options: AttachOptions): Promise<LiveStatusView> {
    return this.run(options.kind, () => source, model, options)
  }

  private async run(
    kind: Running['kind'],
    makeSource: () => LiveSource,
    model: ModelRecord | null,
    options: Partial<AttachOptions>
  ): Promise<LiveStatusView> {
    if (this.running || this.starting)
      throw new ConflictError('live inference is already running: stop it first', 'source')
    this.starting = true
    try {
      const loaded = model ? await (this.options.loadModel ?? loadLiveModel)(model.directory) : null
      const release = loaded?.release ?? (() => {})
      let source: LiveSource
      let inference: LiveInference | null = null
      const liveId = this.nextId++
      try {
        source = makeSource()
        if (loaded && model)
          inference = this.createInference(
            loaded.manifest,
            loaded.predictor,
            model,
            source,
            liveId,
            options.participant
          )
      } catch (error) {
        release()
        throw error
      }
      const run: Running = {
        release,
        liveId,
        kind,
        source,
        inference,
        model:
          inference && model && loaded
            ? {
                id: model.id,
                name: model.name,
                preset: model.preset,
                target: inference.windowOptions.target,
                windowMs: inference.windowMs,
                streams: inference.needed,
                predictor: loaded.path
              }
            : null,
        onTick: options.onTick,
        startedMs: this.clock.now(),
        predictions: 0,
        skips: 0,
        last: null
      }
      const decimator = new DisplayDecimator(source.streams)
      this.running = run
      this.stoppedBecause = null
      source.start((chunks) => {
        if (this.running !== run) return
        try {
          if (inference) for (const chunk of chunks) inference.push(chunk.stream, chunk.times, chunk.values)
        } catch (error) {
          this.halt(`the source sent samples live inference cannot use: ${(error as Error).message}`)
          return
        }
        this.options.emit('live.samples', { liveId, streams: chunks.map((chunk) => decimator.take(chunk)) })
      })
      inference?.start()
      const status = this.status()
      this.options.emit('live.state', status)
      return status
    } finally {
      this.starting = false
    }
  }

  private createInference(
    manifest: ModelManifest,
    predictor: WindowPredictor,
    model: ModelRecord,
    source: LiveSource,
    liveId: number,
    participant?: string | null
  ): LiveInference {
    return new LiveInference({
      manifest,
      predictor,
      modelId: model.id,
      streams: source.streams.map((stream) => ({
        name: stream.name,
        rateHz: stream.rateHz,
        channels: stream.channels.length,
        unit: stream.unit
      })),
      participant,
      clock: this.clock,
      onTick: (tick) => this.record(liveId, tick)
    })
  }

  /** Stops the source and the timer; a no-op when nothing runs. */
  stop(): LiveStatusView {
    return this.halt(null)
  }

  /** Stops because of something other than a stop call, and says why. */
  halt(reason: string | null): LiveStatusView {
    const run = this.running
    if (!run) return this.status()
    run.inference?.stop()
    run.source.stop()
    run.release()
    this.running = null
    this.stoppedBecause = reason
    const status = this.status()
    this.options.emit('live.state', status)
    return status
  }

  private record(liveId: number, tick: LiveTick): void {
    const run = this.running
    if (!run || run.liveId !== liveId) return
    if (!run.model) return
    const view: LiveTickView = { ...tick, liveId, modelId: run.model.id }
    if (view.kind === 'prediction') run.predictions++
    else run.skips++
    run.last = view
    run.onTick?.(view)
    this.options.emit('live.tick', view)
  }
}

function defaultSource(kind: LiveSourceKind, clock: LiveClock): LiveSource {
  switch (kind) {
    case 'simulator':
      return new SimulatedWristband({ clock })
  }
}
