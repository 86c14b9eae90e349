import { ConflictError } from '../../errors'
import type { LiveSource } from '../../devices/live-source'
import { SimulatedWristband } from '../../devices/simulator'
import type { Events } from '../../ipc/contract'
import type { LiveModelView, LiveSourceKind, LiveStatusView, LiveTickView } from '../../ipc/contract/live'
import type { ModelRecord } from '../../store/model-store'
import { systemClock, type LiveClock } from './clock'
import { DISPLAY_HZ, DisplayDecimator } from './decimate'
import { LiveInference, type LiveTick } from './live-inference'
import type { FastPredictor } from '../fast-inference'
import type { ModelManifest } from '../model-files'
import { loadLiveModel } from './load'

type LiveEvent = 'live.samples' | 'live.tick' | 'live.state'

export interface LiveServiceOptions {
  emit: <N extends LiveEvent>(name: N, payload: Events[N]) => void
  clock?: LiveClock
  /** Makes the source of a start; default the built-in simulated wristband. */
  createSource?: (kind: LiveSourceKind, clock: LiveClock) => LiveSource
  loadModel?: typeof loadLiveModel
}

interface Running {
  /** Frees the model's predictor when the run ends. */
  release: () => void
  liveId: number
  kind: LiveSourceKind
  source: LiveSource
  inference: LiveInference
  model: LiveModelView
  startedMs: number
  predictions: number
  skips: number
  last: LiveTickView | null
}

/**
 * One live run at a time: a source streaming samples, live inference over them with one model, and events
 * for the renderers (decimated samples as they arrive, each second's result). Samples are not stored.
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
      recording: false
    }
  }

  async start(kind: LiveSourceKind, model: ModelRecord): Promise<LiveStatusView> {
    if (this.running || this.starting)
      throw new ConflictError('live inference is already running: stop it first', 'source')
    this.starting = true
    try {
      const { manifest, predictor, path, release } = await (this.options.loadModel ?? loadLiveModel)(
        model.directory
      )
      let source: LiveSource
      let inference: LiveInference
      const liveId = this.nextId++
      try {
        source = (this.options.createSource ?? defaultSource)(kind, this.clock)
        inference = this.createInference(manifest, predictor, model, source, liveId)
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
        model: {
          id: model.id,
          name: model.name,
          preset: model.preset,
          target: inference.windowOptions.target,
          windowMs: inference.windowMs,
          streams: inference.needed,
          predictor: path
        },
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
          for (const chunk of chunks) inference.push(chunk.stream, chunk.times, chunk.values)
        } catch (error) {
          this.halt(`the source sent samples live inference cannot use: ${(error as Error).message}`)
          return
        }
        this.options.emit('live.samples', { liveId, streams: chunks.map((chunk) => decimator.take(chunk)) })
      })
      inference.start()
      const status = this.status()
      this.options.emit('live.state', status)
      return status
    } finally {
      this.starting = false
    }
  }

  private createInference(
    manifest: ModelManifest,
    predictor: FastPredictor,
    model: ModelRecord,
    source: LiveSource,
    liveId: number
  ): LiveInference {
    return new LiveInference({
      manifest,
      predictor,
      modelId: model.id,
      streams: source.streams.map((stream) => ({
        name: stream.name,
        rateHz: stream.rateHz,
        channels: stream.channels.length
      })),
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
    run.inference.stop()
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
    const view: LiveTickView = { ...tick, liveId, modelId: run.model.id }
    if (view.kind === 'prediction') run.predictions++
    else run.skips++
    run.last = view
    this.options.emit('live.tick', view)
  }
}

function defaultSource(kind: LiveSourceKind, clock: LiveClock): LiveSource {
  switch (kind) {
    case 'simulator':
      return new SimulatedWristband({ clock })
  }
}
