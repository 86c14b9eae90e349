import { promises as fs } from 'node:fs'
import { resolve } from 'node:path'
import { ConflictError, ValidationError } from '../../errors'
import type { TrainRequest } from '../../ipc/contract/engine'
import { writeDirectoryAtomically } from '../../files/atomic-directory'
import type { StudyStore } from '../../store/study-store'
import { foldTasks } from '../evaluation/evaluate'
import { resolveGroups, resolveRun } from '../runs/run-training'
import { extractWindows } from '../windows/extract'
import type { WindowSet } from '../windows/types'
import {
  foldRequestOf,
  planFiles,
  type Plan,
  type PlanPoint,
  type PlanTask,
  type SlurmSettings
} from './plan-format'
import {
  assumedWindowsPerSecond,
  estimateTaskSeconds,
  memoryMb,
  sbatchScript,
  timeLimitMinutes
} from './sbatch'
import { encodeWindowSets, sha256 } from './window-file'

export interface PlanPointRequest {
  label: string
  overrides: Record<string, string>
  request: TrainRequest
}

export interface PlanOptions {
  /** How a task runs emoheal (program, then its first arguments). */
  command: string[]
  slurm: Partial<Omit<SlurmSettings, 'windowsPerSecond'>> & { windowsPerSecond?: number }
}

/**
 * Writes a plan folder: the study is read here, once (windows cut once per distinct window setting), and
 * never again by a task. Every point must be seeded, so that a task gives the same model wherever it runs;
 * the caller draws a seed where the user gave none. The folder appears whole or not at all.
 */
export async function createPlan(
  study: StudyStore,
  points: PlanPointRequest[],
  directory: string,
  options: PlanOptions
): Promise<Plan> {
  const dir = resolve(directory)
  const present = await fs.readdir(dir).catch(() => [] as string[])
  if (present.length > 0)
    throw new ConflictError(`${dir} is not empty; a plan needs a folder of its own`, 'out')
  const sets: WindowSet[] = []
  const setKeys: string[] = []
  const planPoints: PlanPoint[] = points.map((point, index) => {
    if (point.request.seed === undefined)
      throw new ValidationError(
        'a plan needs a seed, so that every task trains the same model anywhere',
        'seed'
      )
    const resolved = resolveRun(point.request)
    const key = JSON.stringify(resolved.windows)
    let windowSet = setKeys.indexOf(key)
    if (windowSet < 0) {
      const set = extractWindows(study, resolved.windows)
      if (set.windows.length === 0)
        throw new ValidationError(
          `no usable labelled windows in this study${point.label ? ` for ${point.label}` : ''}`,
          'sessionIds'
        )
      windowSet = sets.push(set) - 1
      setKeys.push(key)
    }
    const set = sets[windowSet]
    const { groups, groupsNote } = resolveGroups(set, resolved)
    const planPoint: PlanPoint = {
      index,
      label: point.label,
      overrides: point.overrides,
      request: point.request,
      resolved,
      groups,
      groupsNote,
      windowSet,
      folds: [],
      modelDirectory: point.request.modelDirectory
        ? resolve(point.request.modelDirectory, points.length > 1 ? `point-${index + 1}` : '')
        : null
    }
    const { folds } = foldTasks(set, foldRequestOf(planPoint))
    planPoint.folds = folds.map((fold) => ({
      name: fold.name,
      testParticipants: fold.testParticipants,
      train: fold.train.length,
      test: fold.test.length
    }))
    return planPoint
  })
  const windowsPerSecond = (point: PlanPoint) =>
    options.slurm.windowsPerSecond ?? assumedWindowsPerSecond[point.resolved.preset]
  // Final models train on every window, the longest tasks: first, so that they do not finish the array last.
  const shapes: Omit<PlanTask, 'index' | 'estimatedSeconds'>[] = [
    ...planPoints
      .filter((point) => point.request.finalModel)
      .map((point) => ({ point: point.index, kind: 'final' as const, fold: null, member: null })),
    ...planPoints.flatMap((point) =>
      point.folds.flatMap((_, fold) =>
        Array.from({ length: point.resolved.settings.ensemble }, (_, member) => ({
          point: point.index,
          kind: 'member' as const,
          fold,
          member
        }))
      )
    )
  ]
  const tasks: PlanTask[] = shapes.map((shape, index) => {
    const point = planPoints[shape.point]
    return {
      index,
      ...shape,
      estimatedSeconds: Math.round(
        estimateTaskSeconds(point, sets[point.windowSet], shape, windowsPerSecond(point))
      )
    }
  })
  const windowBytes = encodeWindowSets(sets)
  const slurm: SlurmSettings = {
    jobName: options.slurm.jobName ?? 'emoheal-plan',
    throttle: options.slurm.throttle ?? null,
    cpusPerTask: options.slurm.cpusPerTask ?? 1,
    memoryMb: options.slurm.memoryMb ?? memoryMb(windowBytes.length),
    timeMinutes: options.slurm.timeMinutes ?? timeLimitMinutes(tasks),
    partition: options.slurm.partition ?? null,
    account: options.slurm.account ?? null,
    windowsPerSecond: options.slurm.windowsPerSecond ?? windowsPerSecond(planPoints[0])
  }
  const plan: Plan = {
    format: 'emoheal-plan',
    version: 1,
    createdAt: new Date().toISOString(),
    study: { path: resolve(study.path) },
    windows: {
      file: planFiles.windows,
      sha256: sha256(windowBytes),
      bytes: windowBytes.length,
      sets: sets.map((set) => ({ preset: set.preset, target: set.target, count: set.windows.length }))
    },
    points: planPoints,
    tasks,
    command: options.command,
    slurm
  }
  await writeDirectoryAtomically(dir, {
    [planFiles.plan]: `${JSON.stringify(plan, null, 2)}\n`,
    [planFiles.windows]: windowBytes,
    [planFiles.sbatch]: sbatchScript(dir, plan, slurm)
  })
  await fs.chmod(resolve(dir, planFiles.sbatch), 0o755)
  for (const folder of [planFiles.results, planFiles.state, planFiles.logs])
    await fs.mkdir(resolve(dir, folder), { recursive: true })
  return plan
}
