import type { Sensor } from '../model/config'

// Labels come from src-main/labels (windowLabels); their types are the contract's, so they are defined once.
export type { LabelSource, LabelledWindow, LabelTarget as Target } from '../../ipc/contract/labels'
import type { LabelSource, LabelTarget as Target } from '../../ipc/contract/labels'
export type Preset = 'paper' | 'native'

export interface WindowOptions {
  preset: Preset
  target: Target
  /** Who rated: default 'external' (the aggregate of the external raters where present), as the paper. */
  labelSource: LabelSource
  /** A rating above this is class 1 ("high"); default 2, the paper's `> 2 -> high` on the 1..5 scale. */
  threshold: number
  /** Window length ending at each report time; default 5000 (K-EmoCon's 5-s reports). */
  windowMs: number
  /** Paper preset: points each channel is resampled to; default 20. */
  points: number
  /** Native preset: sensors in model input order. */
  sensors: Sensor[]
  /** Sessions to use; default all. */
  sessionIds?: number[]
}

export interface InputShape {
  name: string
  steps: number
  channels: number
}

/** One model sample: per model input a row-major [steps, channels] array. */
export interface Window {
  sessionId: number
  participant: string
  endMs: number
  /** The rating before binarization. */
  rating: number
  label: number
  inputs: Float32Array[]
  /**
   * Physiological features of the window from the raw streams, in WINDOW_FEATURES order (null: not computable,
   * see signal/window-features.ts). Set by extractWindows; what the logistic baseline reads.
   */
  physiology?: (number | null)[]
}

export interface DropCounts {
  /** A needed stream is absent or has too few samples in the window. */
  missingSignal: number
  /** The stream has a hole longer than the gap tolerance inside the window. */
  gapped: number
  /** No rating of the target from the chosen source. */
  unlabelled: number
}

export interface WindowSet {
  preset: Preset
  target: Target
  labelSource: LabelSource
  threshold: number
  windowMs: number
  inputs: InputShape[]
  /** Channel names per input, e.g. the paper's hr, eda, temp, bvp, acc_mag. */
  channelNames: string[][]
  windows: Window[]
  dropped: DropCounts
  /** Windows per class, index = class. */
  classCounts: number[]
}
