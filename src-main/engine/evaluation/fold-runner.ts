import * as tf from '@tensorflow/tfjs'
import type { FoldResultView } from '../../ipc/contract/engine'
import '../layers'
import { augmentWindows, type AugmentOptions } from '../training/augment'
import { buildModel } from '../model/build-model'
import type { ModelConfigInput } from '../model/config'
import { logitsModel } from '../model/logits'
import { balancedClassWeights } from '../training/loss'
import { Random, withSeededMathRandom } from '../training/random'
import { disposeWindowTensors, inputTensors, windowTensors } from '../training/tensors'
import {
  trainModel,
  type EpochRecord,
  type TrainingHooks,
  type TrainingOptions,
  type TrainingProgress,
  type TrainingResult
} from '../training/train-loop'
import { applyNormalization, fitNormalization, type NormalizationStats } from '../windows/normalize'
import type { InputShape, Window } from '../windows/types'
import { LogisticRegression, majorityClass, windowFeatures } from './baselines'
import { argMax, classificationMetrics } from './metrics'
import type { ExecutionPolicy } from '../runtime/execution-policy'

/** Everything about how one model (or ensemble) is trained, shared by every fold. */
export interface TrainingSettings {
  modelConfig: ModelConfigInput
  training: TrainingOptions
  /** 'balanced' weights classes by inverse frequency in each fold's training split; 'none' is plain (the paper). */
  classWeighting: 'none' | 'balanced'
  /** Per-participant z-scores fitted on the fold's training windows. The paper: off. */
  normalize: boolean
  augment: AugmentOptions | null
  /** Share of the training windows drawn at random for validation (early stopping, schedule). Paper: 0.2. */
  validationFraction: number
  /** Models per fold; test logits averaged. Paper: 5. */
  ensemble: number
  seed?: number
}

export interface FoldTask {
  index: number
  name: string
  testParticipants: string[]
  shapes: InputShape[]
  train: Window[]
  test: Window[]
  settings: TrainingSettings
}

export interface MemberSummary {
  epochsRun: number
  bestEpoch: number
  stoppedEarly: boolean
  restoredBest: boolean
  windowsPerSecond: number
  finalLoss: number
  finalValidationLoss: number | null
}

/** A fold as the contract shows it (FoldResultView, what a run stores), with what only the engine keeps. */
export interface FoldResult extends FoldResultView {
  members: MemberSummary[]
  /** Class probabilities of each test window, in task.test order. */
  probabilities: number[][]
  logisticProbabilities: number[][]
}

export interface FoldProgress extends TrainingProgress {
  fold: number
  member: number
  members: number
}

export interface FoldHooks {
  onProgress?: (progress: FoldProgress) => void
  signal?: AbortSignal
  /** How the layers run (TrainingHooks.policy). */
  policy?: ExecutionPolicy
}

function seedOf(settings: TrainingSettings, ...parts: number[]): number | undefined {
  return settings.seed === undefined
    ? undefined
    : parts.reduce((seed, part) => (Math.imul(seed, 31) + part) >>> 0, settings.seed >>> 0)
}

function summarize(result: TrainingResult): MemberSummary {
  const last = result.history[result.history.length - 1]
  return {
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    restoredBest: result.restoredBest,
    windowsPerSecond: result.windowsPerSecond,
    finalLoss: last?.loss ?? NaN,
    finalValidationLoss: last?.validationLoss ?? null
  }
}

/** Random train/validation split of the training windows (the paper's random 20%, same for every member). */
export function splitValidation(
  windows: Window[],
  fraction: number,
  random: Random
): { fit: Window[]; validation: Window[] } {
  if (fraction <= 0 || windows.length < 5) return { fit: windows, validation: [] }
  const order = random.shuffle(windows.map((_, i) => i))
  const size = Math.max(1, Math.round(windows.length * fraction))
  const chosen = new Set(order.slice(0, size))
  return {
    fit: windows.filter((_, i) => !chosen.has(i)),
    validation: windows.filter((_, i) => chosen.has(i))
  }
}

export interface TrainedModel {
  model: tf.LayersModel
  summary: MemberSummary
  /** Loss and accuracy of every epoch (the curves). */
  history: EpochRecord[]
}

/** Trains one model on prepared (normalized, split, augmented) windows. */
export async function trainOne(
  shapes: InputShape[],
  fit: Window[],
  validation: Window[],
  settings: TrainingSettings,
  seed: number | undefined,
  hooks: TrainingHooks
): Promise<TrainedModel> {
  const classes = (settings.modelConfig as { classes?: number }).classes ?? 2
  const classWeights =
    settings.classWeighting === 'balanced'
      ? balancedClassWeights(
          fit.map((window) => window.label),
          classes
        )
      : new Array<number>(classes).fill(1)
  return withSeededMathRandom(seed, async () => {
    const model = buildModel(settings.modelConfig, { seed, policy: hooks.policy })
    const train = windowTensors(fit, shapes)
    const held = validation.length ? windowTensors(validation, shapes) : null
    try {
      const result = await trainModel(model, train, held, { ...settings.training, classWeights, seed }, hooks)
      return { model, summary: summarize(result), history: result.history }
    } catch (error) {
      model.dispose()
      throw error
    } finally {
      disposeWindowTensors(train)
      if (held) disposeWindowTensors(held)
    }
  })
}

/** Training windows of a fold made ready: normalization fitted on them, validation split, augmentation. */
export function prepareTraining(
  train: Window[],
  shapes: InputShape[],
  settings: TrainingSettings,
  random: Random
): { fit: Window[]; validation: Window[]; normalization: NormalizationStats | null } {
  const normalization = settings.normalize ? fitNormalization(train, shapes) : null
  const ready = normalization ? applyNormalization(train, normalization) : train
  const { fit, validation } = splitValidation(ready, settings.validationFraction, random)
  return {
    fit: augmentWindows(fit, shapes, settings.augment ?? undefined, random),
    validation,
    normalization
  }
}

/** Averages the members' logits, then softmax: the paper's ensemble rule. */
export function ensembleProbabilities(
  models: tf.LayersModel[],
  inputs: Float32Array[][],
  shapes: InputShape[]
): number[][] {
  if (inputs.length === 0) return []
  return tf.tidy(() => {
    const xs = inputTensors(inputs, shapes)
    const logits = models.map((model) => logitsModel(model).predict(xs) as tf.Tensor2D)
    const mean = logits.length === 1 ? logits[0] : tf.div(tf.addN(logits), logits.length)
    return tf.softmax(mean).arraySync() as number[][]
  })
}

/** A fold's windows made ready once for all its members: the same for a local run and a plan's tasks. */
export interface PreparedFold {
  fit: Window[]
  validation: Window[]
  normalization: NormalizationStats | null
  test: Window[]
}

/** Normalization, validation split and augmentation of a fold, drawn from the fold's own seed. */
export function prepareFold(task: FoldTask): PreparedFold {
  const { settings, shapes } = task
  const random = new Random(seedOf(settings, task.index, 17) ?? Math.floor(Math.random() * 2 ** 32))
  const { fit, validation, normalization } = prepareTraining(task.train, shapes, settings, random)
  const test = normalization ? applyNormalization(task.test, normalization) : task.test
  return { fit, validation, normalization, test }
}

/** Trains ensemble member `member` of a prepared fold, with that member's own seed. */
export function trainFoldMember(
  task: FoldTask,
  prepared: PreparedFold,
  member: number,
  hooks: FoldHooks = {}
): Promise<TrainedModel> {
  return trainOne(
    task.shapes,
    prepared.fit,
    prepared.validation,
    task.settings,
    seedOf(task.settings, task.index, member),
    {
      signal: hooks.signal,
      policy: hooks.policy,
      onProgress: (progress) =>
        hooks.onProgress?.({ ...progress, fold: task.index, member, members: task.settings.ensemble })
    }
  )
}

/** Scores a fold's trained members (in member order): the ensemble's test predictions beside both baselines. */
export function scoreFold(
  task: FoldTask,
  prepared: PreparedFold,
  models: tf.LayersModel[],
  members: MemberSummary[]
): FoldResult {
  const { shapes } = task
  const { fit, validation, test } = prepared
  const parameterCount = models[0].countParams()
  const probabilities = ensembleProbabilities(
    models,
    test.map((window) => window.inputs),
    shapes
  )
  const labels = test.map((window) => window.label)
  const classes = probabilities[0]?.length ?? 2
  const trainingLabels = task.train.map((window) => window.label)
  const majority = majorityClass(trainingLabels, classes)
  // The baseline reads physiological features of the raw streams (Window.physiology), which the inputs'
  // normalization does not touch; the regression standardizes them itself.
  const logistic = new LogisticRegression(classes).fit(
    task.train.map((window) => windowFeatures(window)),
    trainingLabels
  )
  const logisticProbabilities = logistic.predictProbabilities(test.map((window) => windowFeatures(window)))
  return {
    index: task.index,
    name: task.name,
    testParticipants: task.testParticipants,
    trainCount: fit.length,
    validationCount: validation.length,
    testCount: test.length,
    members,
    metrics: classificationMetrics(labels, probabilities.map(argMax), probabilities, classes),
    majority: classificationMetrics(
      labels,
      labels.map(() => majority),
      null,
      classes
    ),
    logistic: classificationMetrics(
      labels,
      logisticProbabilities.map(argMax),
      logisticProbabilities,
      classes
    ),
    probabilities,
    logisticProbabilities,
    parameterCount
  }
}

/** One fold: train the ensemble, predict the test windows, and score it beside both baselines. */
export async function runFold(task: FoldTask, hooks: FoldHooks = {}): Promise<FoldResult> {
  const prepared = prepareFold(task)
  const models: tf.LayersModel[] = []
  const members: MemberSummary[] = []
  try {
    for (let member = 0; member < task.settings.ensemble; member++) {
      const trained = await trainFoldMember(task, prepared, member, hooks)
      models.push(trained.model)
      members.push(trained.summary)
    }
    return scoreFold(task, prepared, models, members)
  } finally {
    for (const model of models) model.dispose()
  }
}
