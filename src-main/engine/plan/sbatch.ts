import { join } from 'node:path'
import type { WindowSet } from '../windows/types'
import { planFiles, type Plan, type PlanPoint, type PlanTask, type SlurmSettings } from './plan-format'

/**
 * Training windows one core gets through per second, assumed where the user gave no figure of their own
 * (--windows-per-second). Deliberately cautious, below what bench/train measures on a workstation core,
 * because a Slurm job that runs past --time is killed and a generous limit only delays scheduling a little.
 */
export const assumedWindowsPerSecond = { paper: 300, native: 100 } as const

/** Process start, backend load and reading the window file, per task. */
const startupSeconds = 30

/**
 * Seconds one task may take on one core if every epoch runs: the fit windows (the training split less
 * validation, times the augmentation copies) through every epoch, plus validation and start-up.
 */
export function estimateTaskSeconds(
  point: PlanPoint,
  set: WindowSet,
  task: Pick<PlanTask, 'kind' | 'fold'>,
  windowsPerSecond: number
): number {
  const settings = point.resolved.settings
  const trainWindows = task.kind === 'final' ? set.windows.length : point.folds[task.fold ?? 0].train
  const validation = Math.round(trainWindows * settings.validationFraction)
  const copies = settings.augment ? (settings.augment.copies ?? 1) : 0
  const fit = (trainWindows - validation) * (1 + copies)
  const epochs = settings.training.epochs
  // Validation runs in inference mode, about three times cheaper than a training step.
  return startupSeconds + (epochs * (fit + validation / 3)) / windowsPerSecond
}

/** Slurm's --time: twice the longest task's estimate (for slower nodes), in whole minutes, at least 10. */
export function timeLimitMinutes(tasks: PlanTask[]): number {
  // More intra-op threads help this small model a little at most, so the estimate counts on none of it.
  const longest = Math.max(...tasks.map((task) => task.estimatedSeconds))
  return Math.max(10, Math.ceil((2 * longest) / 60))
}

/** Slurm's --mem: Node, TensorFlow and one model's tensors, plus the window file held a few times over. */
export function memoryMb(windowFileBytes: number): number {
  const mb = 1536 + (4 * windowFileBytes) / 2 ** 20
  return Math.ceil(mb / 256) * 256
}

export function slurmTime(minutes: number): string {
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const rest = minutes % 60
  const hhmm = `${String(hours).padStart(2, '0')}:${String(rest).padStart(2, '0')}:00`
  return days > 0 ? `${days}-${hhmm}` : hhmm
}

/** Quotes a word for bash. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The array's index list: 0-(N-1), or the given indices in ranges, with the %K throttle when one is set. */
export function arraySpec(indices: number[], throttle: number | null): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b)
  const ranges: string[] = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    ranges.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return `${ranges.join(',')}${throttle ? `%${throttle}` : ''}`
}

/**
 * The array job: one array task per plan task, each `emoheal train task DIR --index $SLURM_ARRAY_TASK_ID`
 * with the engine's threads set to the CPUs Slurm gave it. Logs go to DIR/logs/task-N.log, appended so a
 * requeued task keeps its earlier attempt's lines.
 */
export function sbatchScript(
  dir: string,
  plan: Pick<Plan, 'tasks' | 'command'>,
  slurm: SlurmSettings
): string {
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${slurm.jobName}`,
    `#SBATCH --array=${arraySpec(
      plan.tasks.map((task) => task.index),
      slurm.throttle
    )}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${slurm.cpusPerTask}`,
    `#SBATCH --mem=${slurm.memoryMb}M`,
    `#SBATCH --time=${slurmTime(slurm.timeMinutes)}`,
    `#SBATCH --output=${join(dir, planFiles.logs, 'task-%a.log')}`,
    '#SBATCH --open-mode=append',
    ...(slurm.partition ? [`#SBATCH --partition=${slurm.partition}`] : []),
    ...(slurm.account ? [`#SBATCH --account=${slurm.account}`] : []),
    '',
    '# Written by `emoheal train plan`. Each array task trains one model of the plan in this folder and',
    '# writes its result atomically under results/; the study file stays on the workstation and is never',
    '# opened here. `emoheal train status` reads the logs; `emoheal train merge` reads the results.',
    'set -euo pipefail',
    'export ELECTRON_RUN_AS_NODE=1',
    'export TF_CPP_MIN_LOG_LEVEL=2',
    `threads="\${SLURM_CPUS_PER_TASK:-${slurm.cpusPerTask}}"`,
    'export EMOHEAL_TF_THREADS="$threads"',
    'echo "[emoheal] task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID on $(hostname), $threads CPUs, $(date -u +%FT%TZ)"',
    `exec ${plan.command.map(shellQuote).join(' ')} train task ${shellQuote(dir)} --index "$SLURM_ARRAY_TASK_ID" --threads "$threads"`,
    ''
  ]
  return lines.join('\n')
}

/** The job id sbatch --parsable prints: "123" or "123;cluster". */
export function parseSbatchOutput(stdout: string): string {
  const id = stdout.trim().split('\n').pop()?.split(';')[0]?.trim() ?? ''
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed no job id: ${JSON.stringify(stdout.trim())}`)
  return id
}
