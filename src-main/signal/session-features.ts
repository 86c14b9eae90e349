import type { WindowFeatures } from '../ipc/contract/labels'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
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

  constructor(private readonly limitSessions = 8) {}

  prepared(study: StudyStore, sessionId: number): PreparedFeatures {
    const session = study.getSession(sessionId)
    const streams = FEATURE_STREAMS.map((name) => {
      const info = session.streams.find((stream) => stream.name === name)
      return info ? `${info.id}/${info.sampleCount}` : '-'
    })
    const key = `${study.path}\n${sessionId}\n${streams.join(',')}`
    let entry = this.entries.get(key)
    if (entry) this.entries.delete(key)
    else {
      for (const old of [...this.entries.keys()])
        if (old.startsWith(`${study.path}\n${sessionId}\n`)) this.entries.delete(old)
      entry = prepareFeatures(featureStreamsOf(study, sessionId))
    }
    this.entries.set(key, entry)
    for (const [old] of this.entries) {
      if (this.entries.size <= this.limitSessions) break
      this.entries.delete(old)
    }
    return entry
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
