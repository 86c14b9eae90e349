import type { WindowFeatures } from '../ipc/contract/labels'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
import { windowFeatures, type FeatureStreams } from './window-features'

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

/** The features of some windows of a stored session (each stream read and filtered once). */
export function sessionWindowFeatures(
  study: StudyStore,
  sessionId: number,
  windows: readonly { startMs: number; endMs: number }[]
): { features: WindowFeatures[]; notes: string[] } {
  return windowFeatures(featureStreamsOf(study, sessionId), windows)
}
