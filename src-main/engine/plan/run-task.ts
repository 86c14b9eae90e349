import { promises as fs } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { writeDirectoryAtomically } from '../../files/atomic-directory'
import { serializeError } from '../../errors'
import { useBackend } from '../runtime/backend'
import { executionPolicyFor } from '../runtime/execution-policy'
import { foldTasks } from '../evaluation/evaluate'
import { prepareFold, trainFoldMember, type TrainedModel } from '../evaluation/fold-runner'
import { modelArtifacts, modelDirectoryFiles, modelManifest } from '../registry/model-files'
import { parseModelConfig } from '../model/build-model'
import { trainFinalModel } from '../runs/run-training'
import type { TrainingHooks } from '../training/train-loop'
import type { NormalizationStats } from '../windows/normalize'
import type { WindowSet } from '../windows/types'
import {
  failedMarker,
  foldRequestOf,
  planFiles,
  readPlan,
  readTaskResult,
  resultDirectory,
  startedMarker,
  taskOf,
  type LoadedPlan,
  type PlanPoint,
  type PlanTask,
  type TaskResult
} from './plan-format'
import { writeFileAtomically } from '../../files/atomic-file'
import { readWindowSets } from './window-file'

export interface TaskOptions extends TrainingHooks {
  /** TensorFlow intra-op threads (Slurm's CPUs per task); default as for any run. */
  threads?: number
  /** Train again even when a finished result is there. */
  force?: boolean
}

export interface TaskOutcome {
  index: number
  skipped: boolean
  result: TaskResult
  directory: string
}

function slurmIds(): TaskResult['slurm'] {
  const env = process.env
  if (!env.SLURM_JOB_ID) return null
  return {
    jobId: env.SLURM_JOB_ID,
    arrayJobId: env.SLURM_ARRAY_JOB_ID ?? null,
    arrayTaskId: env.SLURM_ARRAY_TASK_ID ?? null
  }
}

/** Trains what one task stands for, with the same functions as a local run: a fold's member or the final model. */
async function trainTask(
  point: PlanPoint,
  set: WindowSet,
  task: PlanTask,
  hooks: TrainingHooks
): Promise<{
  trained: TrainedModel
  normalization: NormalizationStats | null
  counts: TaskResult['counts']
}> {
  if (task.kind === 'final') return trainFinalModel(set, point.resolved.settings, hooks)
  const fold = foldTasks(set, foldRequestOf(point)).tasks[task.fold as number]
  const prepared = prepareFold(fold)
  const trained = await trainFoldMember(fold, prepared, task.member as number, hooks)
  return {
    trained,
    normalization: prepared.normalization,
    counts: { fit: prepared.fit.length, validation: prepared.validation.length }
  }
}

export async function loadPlanWindows(loaded: LoadedPlan): Promise<WindowSet[]> {
  return readWindowSets(join(loaded.dir, planFiles.windows), loaded.plan.windows.sha256)
}

/**
 * Runs one task of a plan and writes results/task-N/ (model.json, weights.bin, manifest.json and
 * result.json) in one atomic step: a task killed halfway leaves only a hidden temporary folder, never a
 * result. A failure writes state/task-N.failed for `emoheal train status`, then rethrows.
 */
export async function runPlanTask(
  dir: string,
  index: number,
  options: TaskOptions = {}
): Promise<TaskOutcome> {
  const loaded = await readPlan(dir)
  const task = taskOf(loaded, index)
  const directory = resultDirectory(loaded.dir, index)
  if (!options.force) {
    const existing = await readTaskResult(loaded, index)
    if (existing) return { index, skipped: true, result: existing, directory }
  }
  const point = loaded.plan.points[task.point]
  const started = new Date()
  await fs.mkdir(join(loaded.dir, planFiles.state), { recursive: true })
  await fs.rm(failedMarker(loaded.dir, index), { force: true })
  await writeFileAtomically(
    startedMarker(loaded.dir, index),
    JSON.stringify({
      startedAt: started.toISOString(),
      host: hostname(),
      pid: process.pid,
      slurm: slurmIds()
    })
  )
  try {
    const backend = await useBackend(point.request.backend, { threads: options.threads })
    const set = (await loadPlanWindows(loaded))[point.windowSet]
    const { trained, normalization, counts } = await trainTask(point, set, task, {
      ...options,
      policy: executionPolicyFor(backend.name)
    })
    try {
      const finished = new Date()
      const result: TaskResult = {
        format: 'emoheal-plan-result',
        version: 1,
        planHash: loaded.hash,
        task,
        backend,
        threads: Number(process.env.TF_NUM_INTRAOP_THREADS) || 1,
        summary: trained.summary,
        counts,
        history: trained.history,
        normalization,
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        seconds: (finished.getTime() - started.getTime()) / 1000,
        host: hostname(),
        slurm: slurmIds()
      }
      const manifest = modelManifest(trained.model, {
        config: parseModelConfig(point.resolved.settings.modelConfig),
        labels: ['low', 'high'],
        inputChannels: set.channelNames.flat(),
        normalization,
        sensorRates: Object.fromEntries(point.resolved.windows.sensors.map((s) => [s.name, s.rateHz])),
        source: `plan task ${index}`
      })
      const files = modelDirectoryFiles(await modelArtifacts(trained.model), manifest)
      await writeDirectoryAtomically(directory, {
        ...files,
        'result.json': `${JSON.stringify(result, null, 2)}\n`
      })
      return { index, skipped: false, result, directory }
    } finally {
      trained.model.dispose()
    }
  } catch (error) {
    await writeFileAtomically(
      failedMarker(loaded.dir, index),
      JSON.stringify({ failedAt: new Date().toISOString(), host: hostname(), error: serializeError(error) })
    ).catch(() => undefined)
    throw error
  }
}
