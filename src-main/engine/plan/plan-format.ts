import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { FileFormatError, NotFoundError, ValidationError } from '../../errors'
import { trainRequestSchema, type TrainRequest } from '../../ipc/contract/engine'
import type { FoldRequest } from '../evaluation/folds'
import type { TrainingSettings } from '../evaluation/fold-runner'
import type { ResolvedRun } from '../runs/run-training'
import { sha256 } from './window-file'

/**
 * An evaluation plan is a folder: plan.json (the resolved runs and the task list), windows.bin (the frozen
 * windows, hashed in plan.json), emoheal.sbatch, and what the tasks write: results/task-N/ (a model
 * directory with result.json, written atomically), state/ (started and failed markers) and logs/.
 */
export const planFiles = {
  plan: 'plan.json',
  windows: 'windows.bin',
  sbatch: 'emoheal.sbatch',
  results: 'results',
  state: 'state',
  logs: 'logs',
  jobs: 'slurm-jobs.json',
  merged: 'merged.json'
} as const

/** One configuration of the plan: the whole request, or one point of a sweep. */
export interface PlanPoint {
  index: number
  /** e.g. "learning-rate=5e-4 preset=native"; "" for a plan without a sweep. */
  label: string
  overrides: Record<string, string>
  request: TrainRequest
  resolved: ResolvedRun
  /** The protocol's groups as the plan resolved them (published, else auto) and the note when it fell back. */
  groups: ResolvedRun['groups']
  groupsNote: string | null
  /** Which set of windows.bin this point trains on. */
  windowSet: number
  folds: { name: string; testParticipants: string[]; train: number; test: number }[]
  /** Where merge saves the final model; null = beside the study, as `emoheal train` does. */
  modelDirectory: string | null
}

export interface PlanTask {
  index: number
  point: number
  kind: 'member' | 'final'
  fold: number | null
  member: number | null
  /** Rough seconds on one core, from the plan's size (see sbatch.ts). */
  estimatedSeconds: number
}

export interface SlurmSettings {
  jobName: string
  throttle: number | null
  cpusPerTask: number
  memoryMb: number
  timeMinutes: number
  partition: string | null
  account: string | null
  windowsPerSecond: number
}

export interface Plan {
  format: 'emoheal-plan'
  version: 1
  createdAt: string
  study: { path: string }
  windows: {
    file: string
    sha256: string
    bytes: number
    sets: { preset: string; target: string; count: number }[]
  }
  points: PlanPoint[]
  tasks: PlanTask[]
  /** How a task runs emoheal: the program and its first arguments (node and cli.js by default). */
  command: string[]
  slurm: SlurmSettings
}

const planSchema = z.object({
  format: z.literal('emoheal-plan'),
  version: z.literal(1),
  createdAt: z.string(),
  study: z.object({ path: z.string() }),
  windows: z.object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int(),
    sets: z.array(z.object({ preset: z.string(), target: z.string(), count: z.number().int() }))
  }),
  points: z
    .array(
      z
        .object({
          index: z.number().int(),
          label: z.string(),
          overrides: z.record(z.string(), z.string()),
          request: trainRequestSchema,
          resolved: z.record(z.string(), z.unknown()),
          windowSet: z.number().int().min(0),
          modelDirectory: z.string().nullable()
        })
        .passthrough()
    )
    .min(1),
  tasks: z
    .array(
      z.object({
        index: z.number().int(),
        point: z.number().int(),
        kind: z.enum(['member', 'final']),
        fold: z.number().int().nullable(),
        member: z.number().int().nullable(),
        estimatedSeconds: z.number()
      })
    )
    .min(1),
  command: z.array(z.string()).min(1),
  slurm: z.object({}).passthrough()
})

export interface LoadedPlan {
  dir: string
  plan: Plan
  /** sha256 of plan.json: every result names the plan it belongs to. */
  hash: string
}

export async function readPlan(dir: string): Promise<LoadedPlan> {
  const file = join(dir, planFiles.plan)
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new NotFoundError(`${dir} is not a plan: ${planFiles.plan} is missing`, 'dir')
    throw new FileFormatError(file, `cannot read (${error.code ?? error.message})`)
  })
  let raw: unknown
  try {
    raw = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new FileFormatError(file, `not JSON: ${(error as Error).message}`)
  }
  const parsed = planSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new FileFormatError(file, `field ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  const plan = parsed.data as unknown as Plan
  plan.tasks.forEach((task, i) => {
    if (task.index !== i) throw new FileFormatError(file, `tasks.${i}: index ${task.index} is out of order`)
    if (!plan.points[task.point]) throw new FileFormatError(file, `tasks.${i}: no point ${task.point}`)
  })
  return { dir, plan, hash: sha256(bytes) }
}

export function taskOf(loaded: LoadedPlan, index: number): PlanTask {
  const task = Number.isInteger(index) ? loaded.plan.tasks[index] : undefined
  if (!task)
    throw new ValidationError(
      `--index ${index}: the plan in ${loaded.dir} has tasks 0 to ${loaded.plan.tasks.length - 1}`,
      'index'
    )
  return task
}

export const resultDirectory = (dir: string, index: number) => join(dir, planFiles.results, `task-${index}`)
export const resultFile = (dir: string, index: number) => join(resultDirectory(dir, index), 'result.json')
export const startedMarker = (dir: string, index: number) =>
  join(dir, planFiles.state, `task-${index}.started`)
export const failedMarker = (dir: string, index: number) => join(dir, planFiles.state, `task-${index}.failed`)
export const logFile = (dir: string, index: number) => join(dir, planFiles.logs, `task-${index}.log`)

/** The fold request of a point: what `evaluate` gets from runTraining, with the groups the plan resolved. */
export function foldRequestOf(point: PlanPoint): FoldRequest & { settings: TrainingSettings } {
  const resolved = point.resolved
  return {
    protocol: resolved.protocol,
    folds: resolved.folds,
    groups: point.groups,
    holdoutParticipants: resolved.holdoutParticipants,
    seed: resolved.settings.seed,
    settings: resolved.settings
  }
}

/** What a task writes in result.json beside its model files. */
export interface TaskResult {
  format: 'emoheal-plan-result'
  version: 1
  planHash: string
  task: PlanTask
  backend: { name: string; why: string }
  threads: number
  summary: import('../evaluation/fold-runner').MemberSummary
  /** Windows the model was fitted on (augmented) and validated on. */
  counts: { fit: number; validation: number }
  history: import('../training/train-loop').EpochRecord[]
  normalization: unknown
  startedAt: string
  finishedAt: string
  seconds: number
  host: string
  slurm: { jobId: string; arrayJobId: string | null; arrayTaskId: string | null } | null
}

/** A task's result when it is complete and belongs to this plan; null when it is absent. */
export async function readTaskResult(loaded: LoadedPlan, index: number): Promise<TaskResult | null> {
  const file = resultFile(loaded.dir, index)
  let raw: string
  try {
    raw = await fs.readFile(file, 'utf8')
  } catch {
    return null
  }
  let result: TaskResult
  try {
    result = JSON.parse(raw) as TaskResult
  } catch (error) {
    throw new FileFormatError(file, `not JSON: ${(error as Error).message}`)
  }
  if (result.format !== 'emoheal-plan-result' || result.task?.index !== index)
    throw new FileFormatError(file, `not the result of task ${index}`)
  if (result.planHash !== loaded.hash)
    throw new FileFormatError(file, 'belongs to another plan (plan.json changed since this task ran)')
  return result
}
