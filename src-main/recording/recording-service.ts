import type { AppContext } from '../app-context'
import { deviceFactory, type DeviceFactory } from '../devices/create-device'
import { listSerialPorts } from '../devices/serial-transport'
import { systemClock, type LiveClock } from '../devices/clock'
import { activeLiveModel } from '../engine/registry/model-registry'
import type { LiveService } from '../engine/live/live-service'
import { ConflictError, EmohealError, ValidationError } from '../errors'
import type { LiveModelView } from '../ipc/contract/live'
import {
  DEFAULT_MARKER_PRESETS,
  type DeviceSettings,
  type RecordMarkerView,
  type RecordStatusView,
  type SerialPortView
} from '../ipc/contract/record'
import { AnnotationStore } from '../store/annotation-store'
import { ModelStore, type ModelRecord } from '../store/model-store'
import { RecordingStore } from '../store/recording-store'
import type { Db } from '../store/study-file'
import { describeWriteFailure, Recorder } from './recorder'

export interface RecordingServiceOptions {
  context: AppContext
  live: LiveService
  createDevice?: DeviceFactory
  clock?: LiveClock
  commitIntervalMs?: number
  /** How often the status is sent while recording when nothing changed; changes go within 250 ms. */
  statusIntervalMs?: number
  listPorts?: () => Promise<SerialPortView[]>
  /** Readies the engine before a model is loaded (the app picks its backend once, lazily). */
  prepareEngine?: () => Promise<unknown>
}

export interface RecordStart {
  participantId: number
  sessionName?: string
  devices: DeviceSettings[]
  /** undefined: the active model; null: none. */
  modelId?: number | null
  markerPresets?: string[]
}

interface Current {
  recorder: Recorder
  db: Db
  sessionId: number
  participantId: number
  participantCode: string
  startedMs: number
  markers: number
  markerPresets: string[]
  liveId: number | null
  model: LiveModelView | null
  modelNote: string | null
  predictionsStored: number
  cancelStatus: () => void
}

/**
 * Recording sessions from devices into the open study, one recording at a time: the Recorder stores the
 * samples, the live service shows them and predicts on them with the active model (when there is one),
 * and each prediction is stored with the session so the Annotate page's model track shows it.
 */
export class RecordingService {
  private current: Current | null = null
  private starting = false
  private stoppedBecause: string | null = null
  private last: RecordStatusView | null = null
  private dirty = false
  private lastSentMs = 0
  private readonly clock: LiveClock

  constructor(private readonly options: RecordingServiceOptions) {
    this.clock = options.clock ?? systemClock
    // Switching studies would close the file under a recording: refuse until it is stopped.
    options.context.addStudyCloseGuard(() =>
      this.current ? 'a recording is running: stop it on the Record page before opening another study' : null
    )
  }

  get recording(): boolean {
    return this.current !== null
  }

  listPorts(): Promise<SerialPortView[]> {
    return (this.options.listPorts ?? listSerialPorts)()
  }

  async start(request: RecordStart): Promise<RecordStatusView> {
    if (this.current || this.starting)
      throw new ConflictError('a recording is already running: stop it first', 'devices')
    this.starting = true
    try {
      return await this.begin(request)
    } finally {
      this.starting = false
    }
  }

  private async begin(request: RecordStart): Promise<RecordStatusView> {
    const study = this.options.context.study()
    const participant = study.getParticipant(request.participantId)
    const model = this.chooseModel(study.db, request.modelId)
    if (model) await this.options.prepareEngine?.()
    const store = new RecordingStore(study.db)
    const recorder: Recorder = new Recorder({
      store,
      devices: request.devices,
      createDevice: this.options.createDevice ?? deviceFactory({ clock: this.options.clock }),
      clock: this.clock,
      commitIntervalMs: this.options.commitIntervalMs,
      onChange: () => this.changed(),
      onFatal: (message) => void this.halt(message)
    })
    const prepared = await recorder.prepare()
    let liveId: number | null = null
    let liveModel: LiveModelView | null = null
    let modelNote: string | null = null
    const attach = (withModel: ModelRecord | null) =>
      this.options.live.attach(recorder.source, withModel, {
        kind: 'recording',
        participant: participant.code,
        onTick: (tick) => {
          const current = this.current
          if (!current || tick.kind !== 'prediction') return
          try {
            new ModelStore(current.db).savePredictions(tick.modelId, current.sessionId, tick.target, [
              { windowEndMs: tick.endMs, probabilities: tick.probabilities }
            ])
            current.predictionsStored++
          } catch (error) {
            void this.halt(describeWriteFailure(error))
          }
        }
      })
    try {
      let live
      try {
        live = await attach(model)
      } catch (error) {
        // The study's active model may read streams these devices do not have (a BITalino has no E4 heart
        // rate): the recording must still happen. A model chosen by name is the user's intent, so it fails.
        if (!(model && request.modelId === undefined && error instanceof ValidationError)) throw error
        modelNote = `the active model ${model.name} (#${model.id}) does not predict this recording: ${error.message}`
        live = await attach(null)
      }
      liveId = live.liveId
      liveModel = live.model
    } catch (error) {
      await recorder.stop()
      throw error
    }
    const startedMs = this.clock.now()
    const ids = store.begin({
      participantId: participant.id,
      name:
        request.sessionName?.trim() ||
        `Recording ${new Date(startedMs).toISOString().slice(0, 16).replace('T', ' ')}`,
      startMs: startedMs,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      devices: prepared
    })
    // Every commit reaches the disk before the next: a power cut loses at most one commit interval too.
    study.db.pragma('synchronous = FULL')
    // Changes are sent within a quarter second, and the counters once a second even when nothing changed.
    const statusTimer = this.clock.every(250, () => {
      if (this.dirty || this.clock.now() - this.lastSentMs >= (this.options.statusIntervalMs ?? 1000))
        this.send()
    })
    this.current = {
      recorder,
      db: study.db,
      sessionId: ids.sessionId,
      participantId: participant.id,
      participantCode: participant.code,
      startedMs,
      markers: 0,
      markerPresets: presets(request.markerPresets),
      liveId,
      model: liveModel,
      modelNote,
      predictionsStored: 0,
      cancelStatus: statusTimer
    }
    this.stoppedBecause = null
    try {
      await recorder.start(ids, startedMs)
    } catch (error) {
      await this.finish('failed', (error as Error).message)
      throw error
    }
    this.send()
    return this.status()
  }

  /** Stops the recording, commits the last samples and marks the session complete. */
  async stop(): Promise<RecordStatusView> {
    if (!this.current) return this.status()
    await this.finish('complete', null)
    return this.status()
  }

  /** Stops because something other than a stop call ended the recording, and says why. */
  async halt(reason: string): Promise<void> {
    if (!this.current) return
    this.stoppedBecause = reason
    await this.finish('failed', reason)
  }

  marker(label: string, timeMs?: number): RecordMarkerView {
    const current = this.current
    if (!current) throw new ConflictError('no recording is running: start one to put markers', 'label')
    const at = timeMs ?? this.clock.now()
    if (at < current.startedMs)
      throw new EmohealError(`the marker's time is before the recording started`, 'timeMs')
    const [id] = new AnnotationStore(current.db).insertMarkers(current.sessionId, [
      { timeMs: at, label, source: 'recording' }
    ])
    current.markers++
    this.send()
    return { id, sessionId: current.sessionId, timeMs: at, label }
  }

  status(): RecordStatusView {
    const current = this.current
    if (!current && this.last) return { ...this.last, recording: false, stoppedBecause: this.stoppedBecause }
    return {
      recording: current !== null,
      sessionId: current?.sessionId ?? null,
      participantId: current?.participantId ?? null,
      participantCode: current?.participantCode ?? null,
      startedMs: current?.startedMs ?? null,
      elapsedMs: current?.recorder.elapsedMs ?? 0,
      devices: current?.recorder.devices() ?? [],
      markers: current?.markers ?? 0,
      markerPresets: current?.markerPresets ?? presets(undefined),
      liveId: current?.liveId ?? null,
      model: current?.model ?? null,
      modelNote: current?.modelNote ?? null,
      predictionsStored: current?.predictionsStored ?? 0,
      lastCommitMs: current?.recorder.lastCommitMs ?? null,
      stoppedBecause: current ? null : this.stoppedBecause
    }
  }

  /** The running recorder, for the benchmark's latency figures. */
  get recorder(): Recorder | null {
    return this.current?.recorder ?? null
  }

  private chooseModel(db: Db, modelId: number | null | undefined): ModelRecord | null {
    if (modelId === null) return null
    const store = new ModelStore(db)
    return modelId !== undefined ? store.getModel(modelId) : activeLiveModel(store)
  }

  private async finish(state: 'complete' | 'failed', message: string | null): Promise<void> {
    const current = this.current
    if (!current) return
    current.cancelStatus()
    const live = this.options.live.status()
    if (live.liveId === current.liveId) this.options.live.stop()
    let failure: string | null = message
    try {
      await current.recorder.stop()
    } catch (error) {
      failure = describeWriteFailure(error)
      this.stoppedBecause = failure
    }
    // The final state is one small write; when even that fails (the disk is still full) the next open of the
    // study finds the recording's process gone and marks it interrupted.
    try {
      new RecordingStore(current.db).finish(current.sessionId, failure ? 'failed' : state, failure)
    } catch {
      /* see above */
    }
    try {
      current.db.pragma('synchronous = NORMAL')
    } catch {
      /* the study may be closing */
    }
    // Still the current recording here: its final counters are what the page keeps showing after the stop.
    this.last = { ...this.status(), recording: false }
    this.current = null
    this.options.context.emit('record.state', this.status())
  }

  private changed(): void {
    this.dirty = true
  }

  private send(): void {
    if (!this.current) return
    this.dirty = false
    this.lastSentMs = this.clock.now()
    this.options.context.emit('record.state', this.status())
  }
}

function presets(given: string[] | undefined): string[] {
  const list = [...(given ?? DEFAULT_MARKER_PRESETS)]
  while (list.length < 9) list.push(DEFAULT_MARKER_PRESETS[list.length])
  return list.slice(0, 9)
}
