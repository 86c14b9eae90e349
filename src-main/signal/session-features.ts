import type { WindowFeatures } from '../ipc/contract/labels'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
import type { OverlayComputer } from './overlay-computer'
import { featuresOf, prepareFeatures, type FeatureStreams, type PreparedFeatures } from './window-features'

const FEATURE_STREAMS = ['eda', 'bvp', 'temp', 'acc'] as const

/** A session's stored eda, bvp, temp and acc streams, as the features read them (absent ones left out). */
export function featureStreamsOf(study: StudyStore, sessionId: number): FeatureStreams {
  const session = study.getSession(sessionId)
  const signals = new SignalStore(study.db)
  const streams: FeatureStreams = {}
  for (const name of FEATURE_STREAMS) {
    const info = session.streams.find((stream) => stream.name === name)
    if (info) streams[name] = { rateHz: info.rateHz, data: signals.read(info.id) }
  }
  return streams
}

/**
 * What the filters made of sessions' streams, kept between calls: the Labels page asks for its table again on
 * every change of source, target, threshold or offset, and only the slicing per window depends on those. Keyed
 * by the study file, the session and its feature streams' ids and sample counts, so a re-imported or growing
 * stream is filtered again. Built once in the composition root.
 */
export class SessionFeatureCache {
  private readonly entries = new Map<string, PreparedFeatures>()

  /**
   * computer: where `warm` runs the filters (the app's overlay worker, so that a long session's first table
   * does not stall the main process); `prepared` of a session not warmed filters on the calling thread.
   */
  constructor(
    private readonly limitSessions = 8,
    private readonly computer?: OverlayComputer
  ) {}

  /** Filters a session's streams off this thread (where a computer was given) unless they are kept already. */
  async warm(study: StudyStore, sessionId: number): Promise<void> {
    const key = this.keyOf(study, sessionId)
    if (this.entries.has(key) || !this.computer) return
    const prepared = await this.computer.features(featureStreamsOf(study, sessionId))
    // The study may have changed meanwhile (a stream re-imported or grown): keep it under the key it was for.
    this.keep(study, sessionId, key, prepared)
  }

  prepared(study: StudyStore, sessionId: number): PreparedFeatures {
    const key = this.keyOf(study, sessionId)
    const entry = this.entries.get(key) ?? prepareFeatures(featureStreamsOf(study, sessionId))
    this.keep(study, sessionId, key, entry)
    return entry
  }

  private keyOf(study: StudyStore, sessionId: number): string {
    const session = study.getSession(sessionId)
    const streams = FEATURE_STREAMS.map((name) => {
      const info = session.streams.find((stream) => stream.name === name)
      return info ? `${info.id}/${info.sampleCount}` : '-'
    })
    return `${study.path}\n${sessionId}\n${streams.join(',')}`
  }

  private keep(study: StudyStore, sessionId: number, key: string, entry: PreparedFeatures): void {
    const prefix = `${study.path}\n${sessionId}\n`
    for (const old of [...this.entries.keys()]) if (old.startsWith(prefix)) this.entries.delete(old)
    this.entries.set(key, entry)
    for (const [old] of this.entries) {
      if (this.entries.size <= this.limitSessions) break
      this.entries.delete(old)
    }
  }
}

/**
 * The features of some windows of a stored session (each stream read and filtered once, or taken from `cache`).
 */
export function sessionWindowFeatures(
  study: StudyStore,
  sessionId: number,
  windows: readonly { startMs: number; endMs: number }[],
  cache?: SessionFeatureCache
): { features: WindowFeatures[]; notes: string[] } {
  const prepared = cache
    ? cache.prepared(study, sessionId)
    : prepareFeatures(featureStreamsOf(study, sessionId))
  return { features: windows.map((w) => featuresOf(prepared, w.startMs, w.endMs)), notes: prepared.notes }
}
