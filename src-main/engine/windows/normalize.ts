import type { InputShape, Window } from './types'

/** Mean and standard deviation of each channel of one input. */
export interface ChannelStats {
  mean: number[]
  std: number[]
}

/**
 * Per-participant z-score statistics, fitted on training windows only. A participant absent from the
 * training windows (the held-out subject of LOSO) is scaled by the pooled training statistics: using its
 * own windows would let test data into the fit.
 */
export interface NormalizationStats {
  kind: 'participant-z-score'
  participants: Record<string, ChannelStats[]>
  pooled: ChannelStats[]
}

function fitStats(windows: Window[], shapes: InputShape[]): ChannelStats[] {
  return shapes.map((shape, input) => {
    const sum = new Float64Array(shape.channels)
    const squares = new Float64Array(shape.channels)
    let count = 0
    for (const window of windows) {
      const values = window.inputs[input]
      for (let i = 0; i < values.length; i++) {
        const c = i % shape.channels
        sum[c] += values[i]
        squares[c] += values[i] * values[i]
      }
      count += shape.steps
    }
    const mean = Array.from(sum, (s) => (count ? s / count : 0))
    // A flat channel keeps its scale instead of dividing by zero.
    const std = Array.from(squares, (s, c) => {
      const variance = count ? s / count - mean[c] * mean[c] : 0
      return variance > 1e-12 ? Math.sqrt(variance) : 1
    })
    return { mean, std }
  })
}

export function fitNormalization(trainingWindows: Window[], shapes: InputShape[]): NormalizationStats {
  const byParticipant = new Map<string, Window[]>()
  for (const window of trainingWindows)
    byParticipant.set(window.participant, [...(byParticipant.get(window.participant) ?? []), window])
  const participants: Record<string, ChannelStats[]> = {}
  for (const [participant, windows] of byParticipant) participants[participant] = fitStats(windows, shapes)
  return { kind: 'participant-z-score', participants, pooled: fitStats(trainingWindows, shapes) }
}

export function normalizeInputs(inputs: Float32Array[], stats: ChannelStats[]): Float32Array[] {
  return inputs.map((values, input) => {
    const { mean, std } = stats[input]
    const channels = mean.length
    const out = new Float32Array(values.length)
    for (let i = 0; i < values.length; i++) out[i] = (values[i] - mean[i % channels]) / std[i % channels]
    return out
  })
}

/** New windows with normalized copies of the inputs; the originals are untouched. */
export function applyNormalization(windows: Window[], stats: NormalizationStats): Window[] {
  return windows.map((window) => ({
    ...window,
    inputs: normalizeInputs(window.inputs, stats.participants[window.participant] ?? stats.pooled)
  }))
}
