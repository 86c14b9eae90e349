import type * as tf from '@tensorflow/tfjs'
import { ValidationError } from '../../errors'
import { useBackend } from '../runtime/backend'
import { foldTasks, summarizeFolds } from '../evaluation/evaluate'
import { prepareFold, scoreFold, type FoldResult } from '../evaluation/fold-runner'
import { reviewCandidates } from '../evaluation/review'
import { loadModel } from '../registry/model-files'
import { defaultModelDirectory, runOutcome, saveFinalModel, type RunOutcome } from '../runs/run-training'
import type { NormalizationStats } from '../windows/normalize'
import {
  foldRequestOf,
  readTaskResult,
  resultDirectory,
  type LoadedPlan,
  type PlanPoint,
  type TaskResult
} from './plan-format'
import { loadPlanWindows } from './run-task'
import { planStatus } from './status'

/** What a merged point adds to a run's stored results: where it came from. */
export interface PlanRunInfo {
  directory: string
  point: string
  overrides: Record<string, string>
  windowsSha256: string
  tasks: number
  /** Sum of the tasks' own seconds: the compute the point took, wherever it ran. */
  taskSeconds: number
  hosts: string[]
}

export type PlanOutcome = RunOutcome & { plan: PlanRunInfo }

/** Every task finished, or an error naming the ones that did not (and how they stand). */
export async function requireFinished(loaded: LoadedPlan): Promise<TaskResult[]> {
  const statuses = await planStatus(loaded)
  const unfinished = statuses.filter((status) => status.state !== 'done')
  if (unfinished.length > 0) {
    const byState = new Map<string, number[]>()
    for (const status of unfinished)
      byState.set(status.state, [...(byState.get(status.state) ?? []), status.index])
    const parts = [...byState].map(([state, indices]) => `${state}: ${compactList(indices)}`)
    throw new ValidationError(
      `${unfinished.length} of ${statuses.length} tasks have no result (${parts.join('; ')}); ` +
        `see "emoheal train status ${loaded.dir}"`,
      'dir'
    )
  }
  return Promise.all(
    loaded.plan.tasks.map(async (task) => (await readTaskResult(loaded, task.index)) as TaskResult)
  )
}

function compactList(indices: number[]): string {
  const shown = indices.slice(0, 20).join(', ')
  return indices.length > 20 ? `${shown} and ${indices.length - 20} more` : shown
}

function backendOf(results: TaskResult[]): { name: string; why: string } {
  const names = [...new Set(results.map((result) => result.backend.name))]
  if (names.length === 1) return results[0].backend
  return { name: names.join('+'), why: `tasks ran on different backends: ${names.join(', ')}` }
}

/**
 * One point of a finished plan as the run `emoheal train` would have reported: each fold's members loaded
 * from their tasks and scored by the same scoreFold, the same per-fold, mean ± SD and pooled summary with
 * both baselines, the same review, and the final model saved (atomically) with the same manifest. Writes
 * nothing to the study: the caller records the run and registers the model, as for a local run.
 */
export async function mergePoint(
  loaded: LoadedPlan,
  point: PlanPoint,
  results: TaskResult[],
  studyPath: string,
  sets?: Awaited<ReturnType<typeof loadPlanWindows>>
): Promise<PlanOutcome> {
  const started = Date.now()
  // Predictions run here, on the backend the tasks trained on, so the numbers are the ones a local run gets.
  await useBackend(point.request.backend)
  const set = (sets ?? (await loadPlanWindows(loaded)))[point.windowSet]
  const request = foldRequestOf(point)
  const { folds, groups, tasks } = foldTasks(set, request)
  const own = results.filter((result) => result.task.point === point.index)
  const foldResults: FoldResult[] = []
  for (const fold of tasks) {
    const members = own
      .filter((result) => result.task.kind === 'member' && result.task.fold === fold.index)
      .sort((a, b) => (a.task.member as number) - (b.task.member as number))
    if (members.length !== point.resolved.settings.ensemble)
      throw new ValidationError(
        `fold ${fold.index + 1} has ${members.length} members, the plan ${point.resolved.settings.ensemble}`,
        'dir'
      )
    const models: tf.LayersModel[] = []
    try {
      for (const member of members)
        models.push((await loadModel(resultDirectory(loaded.dir, member.task.index))).model)
      foldResults.push(
        scoreFold(
          fold,
          prepareFold(fold),
          models,
          members.map((member) => member.summary)
        )
      )
    } finally {
      for (const model of models) model.dispose()
    }
  }
  const evaluation = summarizeFolds(set, request, folds, groups, foldResults)
  const { outOfFold, ...evaluationSummary } = evaluation
  let model: RunOutcome['model'] = null
  const final = own.find((result) => result.task.kind === 'final')
  if (point.request.finalModel && final) {
    const loadedModel = await loadModel(resultDirectory(loaded.dir, final.task.index))
    try {
      const directory = point.modelDirectory ?? defaultModelDirectory(studyPath, point.resolved)
      const manifest = await saveFinalModel(
        loadedModel.model,
        directory,
        set,
        point.resolved,
        evaluationSummary,
        {
          summary: final.summary,
          normalization: final.normalization as NormalizationStats | null
        }
      )
      model = { directory, manifest }
    } finally {
      loadedModel.model.dispose()
    }
  }
  const taskSeconds = own.reduce((sum, result) => sum + result.seconds, 0)
  const outcome = runOutcome({
    resolved: point.resolved,
    groups: point.groups,
    groupsNote: point.groupsNote,
    backend: backendOf(own),
    set,
    evaluation: evaluationSummary,
    review: reviewCandidates(outOfFold),
    model,
    seconds: taskSeconds + (Date.now() - started) / 1000
  })
  return {
    ...outcome,
    plan: {
      directory: loaded.dir,
      point: point.label,
      overrides: point.overrides,
      windowsSha256: loaded.plan.windows.sha256,
      tasks: own.length,
      taskSeconds,
      hosts: [...new Set(own.map((result) => result.host))]
    }
  }
}
