import type { BackendPreference } from '../runtime/backend'
import type { WindowSet } from '../windows/types'
import { runFoldsInWorkers } from './fold-pool'
import { runFold, type FoldHooks, type FoldResult, type FoldTask, type TrainingSettings } from './fold-runner'
import { makeFolds, type FoldRequest } from './folds'
import type { Fold } from './protocols'
import { argMax, classificationMetrics, meanAndSd, type ClassificationMetrics } from './metrics'
import { majorityClass } from './baselines'
import type { OutOfFoldPrediction } from './review'

export interface EvaluationRequest extends FoldRequest {
  settings: TrainingSettings
  /** Folds trained at once in worker threads; 1 = in this thread. */
  jobs: number
  backend: BackendPreference
  workerPath?: string
}

export type FoldSummary = Omit<FoldResult, 'probabilities' | 'logisticProbabilities'>

export interface MeanMetrics {
  accuracy: { mean: number; sd: number }
  balancedAccuracy: { mean: number; sd: number }
  weightedF1: { mean: number; sd: number }
  macroF1: { mean: number; sd: number }
  majorityAccuracy: { mean: number; sd: number }
  logisticAccuracy: { mean: number; sd: number }
}

export interface EvaluationResult {
  protocol: string
  groups: string[][] | null
  folds: FoldSummary[]
  /** All test windows of all folds together. */
  pooled: { model: ClassificationMetrics; majority: ClassificationMetrics; logistic: ClassificationMetrics }
  /** Mean and SD over folds, as the paper reports. */
  mean: MeanMetrics
  parameterCount: number
  outOfFold: OutOfFoldPrediction[]
}

function meanOf(folds: FoldSummary[], pick: (fold: FoldSummary) => number) {
  return meanAndSd(folds.map(pick))
}

/** The folds of a protocol over a window set, each as the task that trains and scores it. */
export function foldTasks(
  set: WindowSet,
  request: FoldRequest & { settings: TrainingSettings }
): { folds: Fold[]; groups: string[][] | null; tasks: FoldTask[] } {
  const { folds, groups } = makeFolds(set.windows, request)
  const tasks: FoldTask[] = folds.map((fold, index) => ({
    index,
    name: fold.name,
    testParticipants: fold.testParticipants,
    shapes: set.inputs,
    train: fold.train.map((i) => set.windows[i]),
    test: fold.test.map((i) => set.windows[i]),
    settings: request.settings
  }))
  return { folds, groups, tasks }
}

/** Runs a protocol over a window set: folds (in workers when jobs > 1), then per-fold, mean and pooled metrics. */
export async function evaluate(
  set: WindowSet,
  request: EvaluationRequest,
  hooks: FoldHooks & { onBackend?: (choice: { name: string; why: string }) => void } = {}
): Promise<EvaluationResult> {
  const { folds, groups, tasks } = foldTasks(set, request)
  let results: FoldResult[]
  if (request.jobs > 1 && tasks.length > 1) {
    const { defaultWorkerPath } = await import('../../files/worker-path')
    results = await runFoldsInWorkers(tasks, {
      ...hooks,
      jobs: request.jobs,
      backend: request.backend,
      workerPath: request.workerPath ?? defaultWorkerPath()
    })
  } else {
    results = []
    for (const task of tasks) results.push(await runFold(task, hooks))
  }
  return summarizeFolds(set, request, folds, groups, results)
}

/**
 * Per-fold, mean ± SD and pooled metrics of fold results beside both baselines, with the out-of-fold
 * predictions for label review: one reading for a local run and a merged plan.
 */
export function summarizeFolds(
  set: WindowSet,
  request: FoldRequest,
  folds: Fold[],
  groups: string[][] | null,
  results: FoldResult[]
): EvaluationResult {
  const labels: number[] = []
  const probabilities: number[][] = []
  const logistic: number[][] = []
  const majority: number[] = []
  const outOfFold: OutOfFoldPrediction[] = []
  results.forEach((result, f) => {
    const fold = folds[f]
    const foldMajority = majorityClass(
      fold.train.map((i) => set.windows[i].label),
      result.probabilities[0]?.length ?? 2
    )
    fold.test.forEach((windowIndex, k) => {
      const window = set.windows[windowIndex]
      labels.push(window.label)
      probabilities.push(result.probabilities[k])
      logistic.push(result.logisticProbabilities[k])
      majority.push(foldMajority)
      outOfFold.push({
        sessionId: window.sessionId,
        participant: window.participant,
        endMs: window.endMs,
        rating: window.rating,
        label: window.label,
        probabilities: result.probabilities[k]
      })
    })
  })
  const classes = probabilities[0]?.length ?? 2
  const summaries: FoldSummary[] = results.map(
    ({ probabilities: _p, logisticProbabilities: _l, ...summary }) => summary
  )
  return {
    protocol: request.protocol === 'groups' ? `groups (${request.groups ?? 'published'})` : request.protocol,
    groups,
    folds: summaries,
    pooled: {
      model: classificationMetrics(labels, probabilities.map(argMax), probabilities, classes),
      majority: classificationMetrics(labels, majority, null, classes),
      logistic: classificationMetrics(labels, logistic.map(argMax), logistic, classes)
    },
    mean: {
      accuracy: meanOf(summaries, (f) => f.metrics.accuracy),
      balancedAccuracy: meanOf(summaries, (f) => f.metrics.balancedAccuracy),
      weightedF1: meanOf(summaries, (f) => f.metrics.weightedF1),
      macroF1: meanOf(summaries, (f) => f.metrics.macroF1),
      majorityAccuracy: meanOf(summaries, (f) => f.majority.accuracy),
      logisticAccuracy: meanOf(summaries, (f) => f.logistic.accuracy)
    },
    parameterCount: results[0]?.parameterCount ?? 0,
    outOfFold
  }
}
