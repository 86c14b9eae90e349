import { execFile } from 'node:child_process'
import { promises as fs } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  failedMarker,
  logFile,
  planFiles,
  readTaskResult,
  startedMarker,
  type LoadedPlan,
  type PlanTask
} from './plan-format'

const run = promisify(execFile)

export type TaskState = 'done' | 'running' | 'pending' | 'failed' | 'missing'

export interface TaskStatus {
  index: number
  task: PlanTask
  state: TaskState
  /** Why a task is failed, or where a running one runs. */
  detail: string | null
  /** Last lines of the task's log, for failed tasks. */
  logTail: string[]
  seconds: number | null
}

export interface SubmittedJob {
  jobId: string
  submittedAt: string
  indices: string
}

export async function submittedJobs(dir: string): Promise<SubmittedJob[]> {
  try {
    return JSON.parse(await fs.readFile(join(dir, planFiles.jobs), 'utf8')) as SubmittedJob[]
  } catch {
    return []
  }
}

/**
 * Slurm's view of the plan's array tasks (squeue, one line per array element): index to state. Null when
 * squeue is absent or fails, so that status falls back on the markers alone.
 */
async function slurmStates(jobIds: string[]): Promise<Map<number, string> | null> {
  if (jobIds.length === 0) return null
  try {
    const { stdout } = await run('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%i|%T'], {
      timeout: 30_000
    })
    const states = new Map<number, string>()
    for (const line of stdout.split('\n')) {
      const match = /^\d+_(\d+)\|(\w+)/.exec(line.trim())
      if (match) states.set(Number(match[1]), match[2])
    }
    return states
  } catch {
    return null
  }
}

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>
  } catch {
    return null
  }
}

export async function logTail(dir: string, index: number, lines = 12): Promise<string[]> {
  try {
    const text = await fs.readFile(logFile(dir, index), 'utf8')
    return text.trimEnd().split('\n').slice(-lines)
  } catch {
    return []
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Each task's state: done (a finished result of this plan), failed (its failure marker, or started and
 * no longer running anywhere we can see), running, pending (queued in Slurm) or missing (never started).
 */
export async function planStatus(loaded: LoadedPlan): Promise<TaskStatus[]> {
  const jobs = await submittedJobs(loaded.dir)
  const slurm = await slurmStates(jobs.map((job) => job.jobId))
  return Promise.all(
    loaded.plan.tasks.map(async (task): Promise<TaskStatus> => {
      const base = { index: task.index, task, detail: null, logTail: [] as string[], seconds: null }
      let result = null
      try {
        result = await readTaskResult(loaded, task.index)
      } catch (error) {
        return { ...base, state: 'failed', detail: (error as Error).message }
      }
      if (result) return { ...base, state: 'done', seconds: result.seconds }
      const queued = slurm?.get(task.index)
      if (queued === 'PENDING' || queued === 'CONFIGURING')
        return { ...base, state: 'pending', detail: `Slurm: ${queued.toLowerCase()}` }
      if (queued === 'RUNNING' || queued === 'COMPLETING')
        return { ...base, state: 'running', detail: `Slurm: ${queued.toLowerCase()}` }
      const failed = await readJson(failedMarker(loaded.dir, task.index))
      if (failed) {
        const error = failed.error as { message?: string } | undefined
        return {
          ...base,
          state: 'failed',
          detail: error?.message ?? 'failed',
          logTail: await logTail(loaded.dir, task.index)
        }
      }
      const started = await readJson(startedMarker(loaded.dir, task.index))
      if (!started) return { ...base, state: 'missing' }
      const here = started.host === hostname() && typeof started.pid === 'number'
      if (here && processAlive(started.pid as number) && !started.slurm)
        return { ...base, state: 'running', detail: `pid ${String(started.pid)} on ${String(started.host)}` }
      if (!here && !slurm && !started.slurm)
        return {
          ...base,
          state: 'running',
          detail: `started on ${String(started.host)} at ${String(started.startedAt)}`
        }
      if (started.slurm && !slurm)
        return {
          ...base,
          state: 'running',
          detail: `started in Slurm job ${String((started.slurm as { jobId?: string }).jobId)} on ${String(started.host)}; squeue could not be asked`
        }
      return {
        ...base,
        state: 'failed',
        detail: `started on ${String(started.host)} at ${String(started.startedAt)} and stopped without a result (killed, or past its time or memory limit?)`,
        logTail: await logTail(loaded.dir, task.index)
      }
    })
  )
}

export function countStates(statuses: TaskStatus[]): Record<TaskState, number> {
  const counts: Record<TaskState, number> = { done: 0, running: 0, pending: 0, failed: 0, missing: 0 }
  for (const status of statuses) counts[status.state]++
  return counts
}
