import type * as tf from '@tensorflow/tfjs'
import { emptyProgress } from './progress'
import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { ValidationError } from '../../errors'
import type { TrainProgress, TrainRequest } from '../../ipc/contract/engine'
import { trainingPresets, type PresetDefaults } from '../../ipc/contract/presets'
import type { StudyStore } from '../../store/study-store'
import { paperAugmentation, type AugmentOptions } from '../training/augment'
import { useBackend } from '../runtime/backend'
import { executionPolicyFor } from '../runtime/execution-policy'
import { evaluate, type EvaluationResult } from '../evaluation/evaluate'
import {
  prepareTraining,
  trainOne,
  type MemberSummary,
  type TrainedModel,
  type TrainingSettings
} from '../evaluation/fold-runner'
import { publishedGroupFolds, type Protocol } from '../evaluation/protocols'
import { reviewCandidates, type ReviewItem } from '../evaluation/review'
import { saveModel, type ModelManifest } from '../registry/model-files'
import { defaultSensors, type ModelConfigInput, type Sensor } from '../model/config'
import { parseModelConfig } from '../model/build-model'
import { Random } from '../training/random'
import { paperTrainingOptions, type TrainingHooks, type TrainingOptions } from '../training/train-loop'
import type { NormalizationStats } from '../windows/normalize'
import { extractWindows } from '../windows/extract'
import type { WindowOptions, WindowSet } from '../windows/types'

/** Everything a run used, defaults filled in: stored with the run so that it can be repeated. */
export interface ResolvedRun {
  preset: 'paper' | 'native'
  windows: WindowOptions
  protocol: Protocol
  folds: number | undefined
  groups: 'published' | 'auto' | undefined
  holdoutParticipants: string[] | undefined
  settings: TrainingSettings
  backend: TrainRequest['backend']
  jobs: number
}

const nativeRateAugmentation: AugmentOptions = { jitter: 0.03, scaling: 0.1, copies: 1 }

/**
 * Fills a request from its preset. `paper` is the published setup: external arousal > 2, 20 points per
 * channel, raw inputs, Adam 5e-4 with weight decay 1e-4, plateau 0.5/5, batch 32, 150 epochs, patience 10,
 * jitter 0.01 doubling the training split, 20% random validation, 5-model ensembles, the four published
 * groups (or four label-stratified groups where the published participants are missing).
 */
export function resolveRun(request: TrainRequest): ResolvedRun {
  const paper = request.preset === 'paper'
  const defaults: PresetDefaults = trainingPresets[request.preset]
  const sensors = (request.model?.sensors as Sensor[] | undefined) ?? defaultSensors
  const windowMs = request.windowMs ?? defaults.windowMs
  const modelConfig: ModelConfigInput = paper
    ? ({ ...request.model, kind: 'paper' } as ModelConfigInput)
    : ({ ...request.model, kind: 'native-rate', sensors, windowSeconds: windowMs / 1000 } as ModelConfigInput)
  const parsedModel = parseModelConfig(modelConfig)
  // Both presets share the training loop's schedule (plateau 0.5/5); what a request may set is the preset's.
  const training: TrainingOptions = {
    ...paperTrainingOptions,
    epochs: request.epochs ?? defaults.epochs,
    batchSize: request.batchSize ?? defaults.batchSize,
    learningRate: request.learningRate ?? defaults.learningRate,
    weightDecay: request.weightDecay ?? defaults.weightDecay,
    earlyStoppingPatience: request.patience ?? defaults.patience,
    restoreBest: request.restoreBest ?? defaults.restoreBest,
    classWeights: new Array<number>(parsedModel.classes).fill(1)
  }
  const protocol: Protocol = request.protocol ?? defaults.protocol
  if (request.groups && protocol !== 'groups') {
    throw new ValidationError(
      `--groups goes with --protocol groups (or the paper preset's default), not ${protocol}`,
      'groups'
    )
  }
  return {
    preset: request.preset,
    windows: {
      preset: request.preset,
      target: request.target,
      labelSource: request.labelSource ?? defaults.labelSource,
      threshold: request.threshold ?? defaults.threshold,
      windowMs,
      points: paper ? (parsedModel.kind === 'paper' ? parsedModel.steps : 20) : 20,
      sensors,
      sessionIds: request.sessionIds
    },
    protocol,
    folds: request.folds,
    groups: request.groups,
    holdoutParticipants: request.holdoutParticipants,
    settings: {
      modelConfig: parsedModel,
      training,
      classWeighting: request.classWeighting ?? defaults.classWeighting,
      normalize: request.normalize ?? defaults.normalize,
      augment:
        request.augment === undefined
          ? paper
            ? paperAugmentation
            : nativeRateAugmentation
          : request.augment,
      validationFraction: request.validationFraction ?? defaults.validationFraction,
      ensemble: request.ensemble ?? defaults.ensemble,
      seed: request.seed
    },
    backend: request.backend,
    jobs: request.jobs
  }
}

export interface RunOutcome {
  preset: string
  backend: { name: string; why: string }
  config: ResolvedRun
  windows: { count: number; classCounts: number[]; dropped: WindowSet['dropped']; participants: number }
  /** Published groups where the study has them, else auto; noted here when the default fell back. */
  groupsNote: string | null
  evaluation: Omit<EvaluationResult, 'outOfFold'>
  parameterCount: number
  review: ReviewItem[]
  model: { directory: string; manifest: ModelManifest } | null
  seconds: number
}

export interface RunHooks {
  onProgress?: (progress: Omit<TrainProgress, 'runId'>) => void
  signal?: AbortSignal
  workerPath?: string
}

function dataHash(set: WindowSet): string {
  const hash = createHash('sha256')
  for (const window of set.windows) {
    hash.update(`${window.sessionId}:${window.endMs}:${window.label};`)
    for (const input of window.inputs)
      hash.update(new Uint8Array(input.buffer, input.byteOffset, input.byteLength))
  }
  return hash.digest('hex')
}

/** Where a run's model goes by default: beside the study file, in <study>.models/. */
export function defaultModelDirectory(studyPath: string, resolved: ResolvedRun): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  return join(
    dirname(studyPath),
    `${basename(studyPath)}.models`,
    `${resolved.preset}-${resolved.windows.target}-${stamp}`
  )
}

/**
 * The protocol's groups: published where the study has them, else four label-stratified groups, with a note
 * when the default fell back.
 */
export function resolveGroups(
  set: WindowSet,
  resolved: ResolvedRun
): { groups: ResolvedRun['groups']; groupsNote: string | null } {
  let groups = resolved.groups
  let groupsNote: string | null = null
  if (resolved.protocol === 'groups' && !groups) {
    try {
      publishedGroupFolds(set.windows)
      groups = 'published'
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      groups = 'auto'
      groupsNote = `published groups unavailable (${error.message.split(';')[0]}); formed four label-stratified groups`
    }
  }
  return { groups, groupsNote }
}

/** The final model: trained on every window, with the run's seed. */
export async function trainFinalModel(
  set: WindowSet,
  settings: TrainingSettings,
  hooks: TrainingHooks = {}
): Promise<{
  trained: TrainedModel
  normalization: NormalizationStats | null
  counts: { fit: number; validation: number }
}> {
  const random = new Random(settings.seed ?? Math.floor(Math.random() * 2 ** 32))
  const { fit, validation, normalization } = prepareTraining(set.windows, set.inputs, settings, random)
  const trained = await trainOne(set.inputs, fit, validation, settings, settings.seed, hooks)
  return { trained, normalization, counts: { fit: fit.length, validation: validation.length } }
}

/** Saves the final model atomically with its manifest: config, channels, normalization, data hash, metrics. */
export function saveFinalModel(
  model: tf.LayersModel,
  directory: string,
  set: WindowSet,
  resolved: ResolvedRun,
  evaluation: Omit<EvaluationResult, 'outOfFold'>,
  final: { summary: MemberSummary; normalization: NormalizationStats | null }
): Promise<ModelManifest> {
  return saveModel(model, directory, {
    config: parseModelConfig(resolved.settings.modelConfig),
    labels: ['low', 'high'],
    inputChannels: set.channelNames.flat(),
    normalization: final.normalization,
    sensorRates: Object.fromEntries(resolved.windows.sensors.map((sensor) => [sensor.name, sensor.rateHz])),
    trainingDataHash: dataHash(set),
    windows: {
      target: set.target,
      labelSource: set.labelSource,
      threshold: set.threshold,
      windowMs: set.windowMs,
      preset: set.preset
    },
    metrics: {
      protocol: evaluation.protocol,
      accuracy: evaluation.mean.accuracy,
      weightedF1: evaluation.mean.weightedF1,
      majorityAccuracy: evaluation.mean.majorityAccuracy,
      pooled: evaluation.pooled.model,
      finalModel: { ...final.summary, trainedOn: set.windows.length, ensembleMembers: 1 }
    },
    source: 'trained'
  })
}

/** What a run reports, from its parts: the same document for a local run and a merged plan. */
export function runOutcome(parts: {
  resolved: ResolvedRun
  groups: ResolvedRun['groups']
  groupsNote: string | null
  backend: { name: string; why: string }
  set: WindowSet
  evaluation: Omit<EvaluationResult, 'outOfFold'>
  review: ReviewItem[]
  model: RunOutcome['model']
  seconds: number
}): RunOutcome {
  const { resolved, set, evaluation } = parts
  return {
    preset: resolved.preset,
    backend: parts.backend,
    config: { ...resolved, groups: parts.groups },
    windows: {
      count: set.windows.length,
      classCounts: set.classCounts,
      dropped: set.dropped,
      participants: new Set(set.windows.map((window) => window.participant)).size
    },
    groupsNote: parts.groupsNote,
    evaluation,
    parameterCount: evaluation.parameterCount,
    review: parts.review,
    model: parts.model,
    seconds: parts.seconds
  }
}

/**
 * One training run, the same from the CLI and from the worker thread: windows, the protocol's folds with
 * both baselines, label review from the out-of-fold predictions, then (optionally) a final model trained on
 * every window, saved atomically. It writes nothing to the study: the caller records the run.
 */
export async function runTraining(
  study: StudyStore,
  request: TrainRequest,
  hooks: RunHooks = {}
): Promise<RunOutcome> {
  const started = Date.now()
  const resolved = resolveRun(request)
  const backend = await useBackend(resolved.backend)
  const policy = executionPolicyFor(backend.name)
  const progress = (
    fields: Partial<Omit<TrainProgress, 'runId'>> & { phase: TrainProgress['phase']; message: string }
  ) => hooks.onProgress?.({ ...emptyProgress, ...fields })
  progress({ phase: 'windows', message: 'cutting windows' })
  const set = extractWindows(study, resolved.windows)
  if (set.windows.length === 0)
    throw new ValidationError('no usable labelled windows in this study', 'sessionIds')
  const { groups, groupsNote } = resolveGroups(set, resolved)
  const foldCount = { value: 0 }
  const evaluation = await evaluate(
    set,
    {
      protocol: resolved.protocol,
      folds: resolved.folds,
      groups,
      holdoutParticipants: resolved.holdoutParticipants,
      seed: resolved.settings.seed,
      settings: resolved.settings,
      jobs: resolved.jobs,
      backend: resolved.backend,
      workerPath: hooks.workerPath
    },
    {
      signal: hooks.signal,
      policy,
      onProgress: (p) => {
        foldCount.value = Math.max(foldCount.value, p.fold + 1)
        progress({
          ...p,
          phase: 'fold',
          message: `fold ${p.fold + 1}, model ${p.member + 1} of ${p.members}, epoch ${p.epoch + 1}`
        })
      }
    }
  )
  const { outOfFold, ...evaluationSummary } = evaluation
  const review = reviewCandidates(outOfFold)
  let model: RunOutcome['model'] = null
  if (request.finalModel) {
    progress({ phase: 'final', message: 'training the final model on every window' })
    const { trained, normalization } = await trainFinalModel(set, resolved.settings, {
      signal: hooks.signal,
      policy,
      onProgress: (p) => progress({ ...p, phase: 'final', message: `final model, epoch ${p.epoch + 1}` })
    })
    try {
      progress({ phase: 'saving', message: 'saving the model' })
      const directory = request.modelDirectory ?? defaultModelDirectory(study.path, resolved)
      const manifest = await saveFinalModel(trained.model, directory, set, resolved, evaluationSummary, {
        summary: trained.summary,
        normalization
      })
      model = { directory, manifest }
    } finally {
      trained.model.dispose()
    }
  }
  return runOutcome({
    resolved,
    groups,
    groupsNote,
    backend,
    set,
    evaluation: evaluationSummary,
    review,
    model,
    seconds: (Date.now() - started) / 1000
  })
}
