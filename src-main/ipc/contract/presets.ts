import type { LabelSource } from './labels'

/** What a preset takes for each field a training request leaves unset. */
export interface PresetDefaults {
  labelSource: LabelSource
  /** A rating above this is "high". */
  threshold: number
  windowMs: number
  protocol: 'loso' | 'kfold' | 'holdout' | 'groups'
  epochs: number
  batchSize: number
  learningRate: number
  weightDecay: number
  /** Epochs without a better validation loss before training stops. */
  patience: number
  /** Models trained per fold, their probabilities averaged. */
  ensemble: number
  restoreBest: boolean
  /** Per-participant z-scores of the inputs, fitted on training windows only. */
  normalize: boolean
  classWeighting: 'none' | 'balanced'
  validationFraction: number
}

/**
 * The presets' defaults, in one place for the engine that resolves a request (engine/runs/run-training.ts) and the
 * Train page that shows what a blank field means. `paper` is the published configuration; `native` our
 * native-rate design, whose choices (balanced loss, z-scores, restore-best, LOSO) are ours, not the paper's.
 */
export const trainingPresets = {
  paper: {
    labelSource: 'external',
    threshold: 2,
    windowMs: 5000,
    protocol: 'groups',
    epochs: 150,
    batchSize: 32,
    learningRate: 5e-4,
    weightDecay: 1e-4,
    patience: 10,
    ensemble: 5,
    restoreBest: false,
    normalize: false,
    classWeighting: 'none',
    validationFraction: 0.2
  },
  native: {
    labelSource: 'external',
    threshold: 2,
    windowMs: 5000,
    protocol: 'loso',
    epochs: 60,
    batchSize: 32,
    learningRate: 1e-3,
    weightDecay: 1e-4,
    patience: 10,
    ensemble: 1,
    restoreBest: true,
    normalize: true,
    classWeighting: 'balanced',
    validationFraction: 0.2
  }
} as const satisfies Record<'paper' | 'native', PresetDefaults>

export type TrainingPreset = keyof typeof trainingPresets

/** Folds of k-fold when none are asked for. */
export const defaultKFolds = 5

/** The groups protocol's folds: the four published participant groups, or four label-stratified ones. */
export const groupFoldCount = 4
