import * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import { windowLabels } from '../../labels/window-labels'
import { ModelStore } from '../../store/model-store'
import type { StudyStore } from '../../store/study-store'
import { loadModel, manifestWindowsOf, type ModelManifest } from '../registry/model-files'
import { inputTensors } from '../training/tensors'
import { inputShapesOf, sessionWindowsAt } from '../windows/extract'
import { normalizeInputs, type ChannelStats } from '../windows/normalize'
import type { Target, WindowOptions } from '../windows/types'

export interface SessionPrediction {
  modelId: number | null
  sessionId: number
  target: Target
  windows: number
  /** Windows without usable signal (missing or gapped), not predicted. */
  skipped: number
  predictions: { windowEndMs: number; probabilities: number[] }[]
}

/** How a saved model's windows are cut: its preset, length, points or sensors, and target. */
export function windowOptionsOf(manifest: ModelManifest): WindowOptions & { target: Target } {
  const windows = manifestWindowsOf(manifest)
  const config = manifest.config
  const windowMs = config.kind === 'native-rate' ? config.windowSeconds * 1000 : windows.windowMs
  return {
    preset: config.kind === 'paper' ? 'paper' : 'native',
    target: windows.target,
    labelSource: windows.labelSource,
    threshold: windows.threshold,
    windowMs,
    points: config.kind === 'paper' ? config.steps : 20,
    sensors: config.kind === 'native-rate' ? config.sensors : []
  }
}

/**
 * The z-score statistics a participant's windows are scaled by: their own where the model was trained on
 * them, else the pooled training statistics; null when the model takes raw inputs.
 */
export function normalizationFor(manifest: ModelManifest, participant: string | null): ChannelStats[] | null {
  const stats = manifest.normalization
  if (!stats) return null
  return (participant !== null ? stats.participants[participant] : undefined) ?? stats.pooled
}

/**
 * The windows a session is predicted on: those ending at its report times where it has reports (so that
 * predictions sit beside the labels), else back-to-back windows over its recording: over every stream's span,
 * or over the spans of `streamNames` where given (the streams a model reads).
 */
export function endTimesOf(
  study: StudyStore,
  sessionId: number,
  windowMs: number,
  streamNames?: string[]
): number[] {
  const reported = windowLabels(study, sessionId, { source: 'external', windowMs }).map(
    (window) => window.endMs
  )
  if (reported.length) return reported
  const session = study.getSession(sessionId)
  const streams = streamNames
    ? session.streams.filter((stream) => streamNames.includes(stream.name))
    : session.streams
  const starts = streams.flatMap((stream) => (stream.startMs === null ? [] : [stream.startMs]))
  const ends = streams.flatMap((stream) => (stream.endMs === null ? [] : [stream.endMs]))
  if (!starts.length) return []
  const from = Math.max(...starts)
  const to = Math.min(...ends)
  const times: number[] = []
  for (let end = from + windowMs; end <= to; end += windowMs) times.push(end)
  return times
}

/** Per-window class probabilities of a saved model over one recorded session; stored when a model id is given. */
export async function predictSession(
  study: StudyStore,
  directory: string,
  sessionId: number,
  modelId: number | null
): Promise<SessionPrediction> {
  const { model, manifest } = await loadModel(directory)
  try {
    const options = windowOptionsOf(manifest)
    if (options.preset === 'native' && options.sensors.length === 0)
      throw new ValidationError('the model lists no sensors', 'model')
    const session = study.getSession(sessionId)
    const stats = normalizationFor(manifest, session.participantCode)
    const windows = sessionWindowsAt(
      study,
      sessionId,
      endTimesOf(study, sessionId, options.windowMs),
      options
    )
    const usable = windows.flatMap((window) =>
      typeof window.inputs === 'string' ? [] : [{ endMs: window.endMs, inputs: window.inputs }]
    )
    const { inputs: shapes } = inputShapesOf(options)
    const prepared = usable.map((window) => (stats ? normalizeInputs(window.inputs, stats) : window.inputs))
    const probabilities = prepared.length
      ? tf.tidy(() => (model.predict(inputTensors(prepared, shapes)) as tf.Tensor2D).arraySync())
      : []
    const predictions = usable.map((window, i) => ({
      windowEndMs: window.endMs,
      probabilities: probabilities[i]
    }))
    if (modelId !== null)
      new ModelStore(study.db).savePredictions(modelId, sessionId, options.target, predictions)
    return {
      modelId,
      sessionId,
      target: options.target,
      windows: predictions.length,
      skipped: windows.length - usable.length,
      predictions
    }
  } finally {
    model.dispose()
  }
}
