import { execFile } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { ConflictError, EmohealError, ValidationError } from '../../errors'
import { createPlan, type PlanPointRequest } from '../../engine/plan/make-plan'
import { mergePoint, requireFinished, type PlanOutcome } from '../../engine/plan/merge'
import { defaultTaskCommand, runPlanLocally } from '../../engine/plan/local-runner'
import { planFiles, readPlan, type LoadedPlan } from '../../engine/plan/plan-format'
import { loadPlanWindows, runPlanTask } from '../../engine/plan/run-task'
import { arraySpec, parseSbatchOutput } from '../../engine/plan/sbatch'
import { countStates, planStatus, submittedJobs, type SubmittedJob } from '../../engine/plan/status'
import { parseSweep } from '../../engine/plan/sweep'
import { recordFinishedRun } from '../../engine/runs/run-service'
import { ModelStore } from '../../store/model-store'
import {
  integerOption,
  numberOption,
  requireString,
  stringOption,
  type CliCommand,
  type CliInput
} from '../command'
import { studyPathOf, withStudy } from '../study-option'
import { trainCommand, trainRequestFromArgs, trainResult } from './train'

const run = promisify(execFile)

/** Train's flags a sweep may vary: the single-valued ones (lists like --holdout would clash with its commas). */
const sweepable = Object.entries(trainCommand.options)
  .filter(
    ([name, option]) => option.type === 'string' && !['holdout', 'sessions', 'out', 'jobs'].includes(name)
  )
  .map(([name]) => name)

const { out: _modelOut, jobs: _jobs, ...trainOptions } = trainCommand.options

function planDirectory(input: CliInput): string {
  const dir = input.positionals[0]
  if (!dir) throw new ValidationError('name the plan folder: emoheal train <command> DIR', 'dir')
  if (input.positionals.length > 1)
    throw new ValidationError(
      `one plan folder, got ${input.positionals.length}: ${input.positionals.join(' ')}`,
      'dir'
    )
  return resolve(dir)
}

function commandOption(input: CliInput): string[] | undefined {
  const value = stringOption(input.values, 'emoheal')
  if (value === undefined) return undefined
  const words = value.split(/\s+/).filter(Boolean)
  if (words.length === 0)
    throw new ValidationError('--emoheal needs a command, e.g. "node /opt/emoheal/cli.js"', 'emoheal')
  return words
}

function positive(input: CliInput, name: string): number | undefined {
  const value = integerOption(input.values, name)
  if (value !== undefined && value < 1)
    throw new ValidationError(`--${name} must be 1 or more, got ${value}`, name)
  return value
}

/** One request per sweep point, each parsed and checked exactly as `emoheal train` parses its flags. */
function pointRequests(input: CliInput): { points: PlanPointRequest[]; seed: number | null } {
  const sweep = parseSweep(stringOption(input.values, 'sweep'), sweepable)
  const drawn = input.values.seed === undefined && !sweep.some((point) => 'seed' in point.overrides)
  // A plan's tasks must agree on every random choice: without a seed, one is drawn here and recorded.
  const seed = drawn ? randomInt(2 ** 31) : null
  const points = sweep.map((point) => {
    const values: CliInput['values'] = {
      ...input.values,
      ...(seed !== null ? { seed: String(seed) } : {}),
      ...point.overrides,
      out: input.values['model-out'],
      jobs: undefined
    }
    try {
      return { ...point, request: trainRequestFromArgs({ ...input, values }) }
    } catch (error) {
      if (error instanceof EmohealError && point.label)
        throw new ValidationError(`sweep point ${point.label}: ${error.message}`, error.field)
      throw error
    }
  })
  return { points, seed }
}

const planCommand: CliCommand = {
  path: ['train', 'plan'],
  summary:
    'freeze an evaluation (windows, config, one task per fold x member x sweep point and final model) into a plan folder for Slurm',
  usage:
    'train plan --study FILE --out DIR [every option of train] [--model-out DIR] [--sweep "lr=1e-3,5e-4;preset=paper,native"] ' +
    '[--throttle K] [--cpus C] [--mem MB] [--time MINUTES] [--partition P] [--account A] [--job-name NAME] ' +
    '[--windows-per-second W] [--emoheal "node /path/cli.js"] [--json]',
  options: {
    ...trainOptions,
    out: { type: 'string' },
    'model-out': { type: 'string' },
    sweep: { type: 'string' },
    throttle: { type: 'string' },
    cpus: { type: 'string' },
    mem: { type: 'string' },
    time: { type: 'string' },
    partition: { type: 'string' },
    account: { type: 'string' },
    'job-name': { type: 'string' },
    'windows-per-second': { type: 'string' },
    emoheal: { type: 'string' }
  },
  async run(input) {
    const dir = resolve(requireString(input.values, 'out'))
    const { points, seed } = pointRequests(input)
    const command = commandOption(input) ?? defaultTaskCommand()
    const windowsPerSecond = numberOption(input.values, 'windows-per-second')
    if (windowsPerSecond !== undefined && !(windowsPerSecond > 0))
      throw new ValidationError('--windows-per-second must be above 0', 'windows-per-second')
    const jobName = stringOption(input.values, 'job-name')
    if (jobName !== undefined && !/^[\w.-]{1,64}$/.test(jobName))
      throw new ValidationError('--job-name: letters, digits, ".", "_" and "-" only, at most 64', 'job-name')
    const plan = await withStudy(input, false, (study) =>
      createPlan(study, points, dir, {
        command,
        slurm: {
          jobName,
          throttle: positive(input, 'throttle'),
          cpusPerTask: positive(input, 'cpus'),
          memoryMb: positive(input, 'mem'),
          timeMinutes: positive(input, 'time'),
          partition: stringOption(input.values, 'partition'),
          account: stringOption(input.values, 'account'),
          windowsPerSecond
        }
      })
    )
    const estimates = plan.tasks.map((task) => task.estimatedSeconds)
    return {
      ok: true,
      directory: dir,
      tasks: plan.tasks.length,
      seed: seed ?? plan.points[0].request.seed,
      seedDrawn: seed !== null,
      windows: plan.windows,
      points: plan.points.map((point) => ({
        label: point.label,
        protocol: point.resolved.protocol,
        groups: point.groups,
        groupsNote: point.groupsNote,
        folds: point.folds.length,
        ensemble: point.resolved.settings.ensemble,
        epochs: point.resolved.settings.training.epochs,
        tasks: plan.tasks.filter((task) => task.point === point.index).length
      })),
      estimate: {
        windowsPerSecond: plan.slurm.windowsPerSecond,
        longestTaskSeconds: Math.max(...estimates),
        totalTaskSeconds: estimates.reduce((a, b) => a + b, 0)
      },
      slurm: plan.slurm,
      sbatch: resolve(dir, planFiles.sbatch)
    }
  },
  format(result) {
    const r = result as {
      directory: string
      tasks: number
      seed: number
      seedDrawn: boolean
      points: { label: string; protocol: string; folds: number; ensemble: number; tasks: number }[]
      estimate: { longestTaskSeconds: number; totalTaskSeconds: number }
      slurm: { timeMinutes: number; memoryMb: number; cpusPerTask: number }
      sbatch: string
    }
    return [
      `plan in ${r.directory}: ${r.tasks} tasks, seed ${r.seed}${r.seedDrawn ? ' (drawn)' : ''}`,
      ...r.points.map(
        (p) =>
          `  ${p.label || 'run'}: ${p.protocol}, ${p.folds} folds x ${p.ensemble} members, ${p.tasks} tasks`
      ),
      `estimate: longest task ${Math.round(r.estimate.longestTaskSeconds / 60)} min, all tasks ${(r.estimate.totalTaskSeconds / 3600).toFixed(1)} core-hours`,
      `slurm: --time ${r.slurm.timeMinutes} min, --mem ${r.slurm.memoryMb} MB, --cpus-per-task ${r.slurm.cpusPerTask}`,
      `submit with: emoheal train submit ${r.directory}   (or: sbatch ${r.sbatch})`
    ].join('\n')
  }
}

const taskCommand: CliCommand = {
  path: ['train', 'task'],
  summary: "run one task of a plan and write its result atomically under the plan's results/",
  usage: 'train task DIR --index N [--threads T] [--force] [--json]',
  positionals: true,
  options: { index: { type: 'string' }, threads: { type: 'string' }, force: { type: 'boolean' } },
  async run(input) {
    const dir = planDirectory(input)
    const raw = stringOption(input.values, 'index') ?? process.env.SLURM_ARRAY_TASK_ID
    if (raw === undefined) throw new ValidationError('--index is required (or SLURM_ARRAY_TASK_ID)', 'index')
    const index = Number(raw)
    if (!Number.isInteger(index))
      throw new ValidationError(`--index must be an integer, got "${raw}"`, 'index')
    const controller = new AbortController()
    // Slurm sends SIGTERM at the time limit and on scancel: stop between batches, write nothing finished.
    const stop = () => controller.abort()
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    try {
      const outcome = await runPlanTask(dir, index, {
        threads: positive(input, 'threads'),
        force: input.values.force === true,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.epochDone)
            input.progress(
              `task ${index} epoch ${p.epoch + 1}/${p.epochs}: loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(3)} ` +
                `val loss ${p.validationLoss?.toFixed(4) ?? '-'}`
            )
        }
      })
      const { task, backend, seconds, summary, counts } = outcome.result
      return {
        ok: true,
        index,
        skipped: outcome.skipped,
        task,
        backend,
        seconds,
        summary,
        counts,
        directory: outcome.directory
      }
    } finally {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
    }
  },
  format(result) {
    const r = result as {
      index: number
      skipped: boolean
      seconds: number
      directory: string
      task: { kind: string }
    }
    return r.skipped
      ? `task ${r.index} was already done (${r.directory}); --force trains it again`
      : `task ${r.index} (${r.task.kind}) done in ${r.seconds.toFixed(1)} s: ${r.directory}`
  }
}

async function unfinished(loaded: LoadedPlan): Promise<number[]> {
  const statuses = await planStatus(loaded)
  return statuses
    .filter((status) => status.state === 'missing' || status.state === 'failed')
    .map((s) => s.index)
}

const submitCommand: CliCommand = {
  path: ['train', 'submit'],
  summary: "submit a plan's unfinished tasks to Slurm as one array job (sbatch) and print its job id",
  usage: 'train submit DIR [--throttle K] [--json]',
  positionals: true,
  options: { throttle: { type: 'string' } },
  async run(input) {
    const loaded = await readPlan(planDirectory(input))
    const indices = await unfinished(loaded)
    if (indices.length === 0)
      throw new ConflictError(`every task of ${loaded.dir} is done or queued; nothing to submit`, 'dir')
    const throttle = positive(input, 'throttle') ?? loaded.plan.slurm.throttle
    const array = arraySpec(indices, throttle)
    const script = resolve(loaded.dir, planFiles.sbatch)
    let stdout: string
    try {
      ;({ stdout } = await run('sbatch', ['--parsable', `--array=${array}`, script], { timeout: 60_000 }))
    } catch (error) {
      const failure = error as { code?: string; stderr?: string; message: string }
      if (failure.code === 'ENOENT')
        throw new EmohealError('sbatch is not on PATH: submit from a Slurm login node')
      throw new EmohealError(`sbatch failed: ${(failure.stderr ?? failure.message).trim().split('\n')[0]}`)
    }
    const jobId = parseSbatchOutput(stdout)
    const jobs: SubmittedJob[] = [
      ...(await submittedJobs(loaded.dir)),
      { jobId, submittedAt: new Date().toISOString(), indices: array }
    ]
    await fs.writeFile(resolve(loaded.dir, planFiles.jobs), `${JSON.stringify(jobs, null, 2)}\n`)
    return { ok: true, jobId, tasks: indices.length, array }
  },
  format(result) {
    const r = result as { jobId: string; tasks: number; array: string }
    return `submitted job ${r.jobId}: ${r.tasks} tasks (--array=${r.array})`
  }
}

const statusCommand: CliCommand = {
  path: ['train', 'status'],
  summary:
    "say which of a plan's tasks are done, running, pending, failed (with their logs' last lines) or missing",
  usage: 'train status DIR [--json]',
  positionals: true,
  options: {},
  async run(input) {
    const loaded = await readPlan(planDirectory(input))
    const tasks = await planStatus(loaded)
    const done = tasks.filter((task) => task.seconds !== null)
    return {
      ok: true,
      directory: loaded.dir,
      counts: countStates(tasks),
      total: tasks.length,
      jobs: await submittedJobs(loaded.dir),
      measuredTaskSeconds: done.length
        ? done.reduce((sum, task) => sum + (task.seconds as number), 0) / done.length
        : null,
      tasks: tasks.map(({ task, ...status }) => ({
        ...status,
        kind: task.kind,
        point: task.point,
        fold: task.fold,
        member: task.member
      }))
    }
  },
  format(result) {
    const r = result as {
      directory: string
      total: number
      counts: Record<string, number>
      tasks: { index: number; state: string; detail: string | null; logTail: string[] }[]
    }
    const lines = [
      `${r.directory}: ${r.total} tasks; ${Object.entries(r.counts)
        .map(([state, count]) => `${count} ${state}`)
        .join(', ')}`
    ]
    for (const task of r.tasks) {
      if (task.state === 'done' || task.state === 'missing') continue
      lines.push(`task ${task.index}: ${task.state}${task.detail ? ` (${task.detail})` : ''}`)
      for (const line of task.logTail) lines.push(`    ${line}`)
    }
    const missing = r.tasks.filter((task) => task.state === 'missing').map((task) => task.index)
    if (missing.length)
      lines.push(
        `missing: ${missing.length > 30 ? `${missing.slice(0, 30).join(', ')}, ...` : missing.join(', ')}`
      )
    return lines.join('\n')
  }
}

export interface SweepRow {
  point: string
  overrides: Record<string, string>
  runId: number
  accuracy: { mean: number; sd: number }
  balancedAccuracy: { mean: number; sd: number }
  weightedF1: { mean: number; sd: number }
  pooledAccuracy: number
  majorityAccuracy: number
  logisticAccuracy: number
}

/**
 * Merges a finished plan into the study: every point as a run recorded (and its final model registered)
 * by the same recordFinishedRun as `emoheal train`, all in one transaction after every model file is saved.
 */
async function mergePlan(input: CliInput, loaded: LoadedPlan, force: boolean) {
  const mergedFile = resolve(loaded.dir, planFiles.merged)
  const previous = await fs.readFile(mergedFile, 'utf8').catch(() => null)
  if (previous && !force) {
    const { study, runIds } = JSON.parse(previous) as { study: string; runIds: number[] }
    throw new ConflictError(
      `this plan was merged into ${study} already (runs ${runIds.join(', ')}); --force records it again`,
      'dir'
    )
  }
  const results = await requireFinished(loaded)
  const sets = await loadPlanWindows(loaded)
  return withStudy(input, false, async (study) => {
    if (resolve(study.path) !== loaded.plan.study.path)
      input.progress(
        `note: the plan was cut from ${loaded.plan.study.path}; recording it in ${resolve(study.path)}`
      )
    const outcomes: PlanOutcome[] = []
    for (const point of loaded.plan.points) {
      input.progress(`merging ${point.label || 'the run'}`)
      outcomes.push(await mergePoint(loaded, point, results, study.path, sets))
    }
    const models = new ModelStore(study.db)
    const recorded = study.db.transaction(() => {
      const runs = loaded.plan.points.map((point) => models.startRun(point.request))
      const sweep: SweepRow[] = outcomes.map((outcome, i) => ({
        point: outcome.plan.point,
        overrides: outcome.plan.overrides,
        runId: runs[i].id,
        accuracy: outcome.evaluation.mean.accuracy,
        balancedAccuracy: outcome.evaluation.mean.balancedAccuracy,
        weightedF1: outcome.evaluation.mean.weightedF1,
        pooledAccuracy: outcome.evaluation.pooled.model.accuracy,
        majorityAccuracy: outcome.evaluation.pooled.majority.accuracy,
        logisticAccuracy: outcome.evaluation.pooled.logistic.accuracy
      }))
      const records = outcomes.map((outcome, i) =>
        recordFinishedRun(models, runs[i].id, {
          ...outcome,
          plan: { ...outcome.plan, ...(outcomes.length > 1 ? { sweep } : {}) }
        } as PlanOutcome)
      )
      return { runs: records, sweep }
    })()
    await fs.writeFile(
      mergedFile,
      `${JSON.stringify(
        {
          mergedAt: new Date().toISOString(),
          study: resolve(study.path),
          runIds: recorded.runs.map((r) => r.id),
          modelIds: recorded.runs.map((r) => r.modelId),
          sweep: recorded.sweep
        },
        null,
        2
      )}\n`
    )
    const documents = outcomes.map((outcome, i) =>
      trainResult(outcome, recorded.runs[i].id, recorded.runs[i].modelId)
    )
    // One point: the very document `emoheal train --json` prints. A sweep: that of every point, and the table.
    return documents.length === 1 ? documents[0] : { ok: true, sweep: recorded.sweep, runs: documents }
  })
}

function formatMerge(result: unknown): string {
  const r = result as { sweep?: SweepRow[]; runs?: unknown[] }
  if (!r.sweep) return (trainCommand.format as (result: unknown) => string)(result)
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`
  return [
    'point\trun\taccuracy (SD)\tweighted F1\tpooled\tmajority\tlogistic',
    ...r.sweep.map(
      (row) =>
        `${row.point}\t${row.runId}\t${percent(row.accuracy.mean)} (${row.accuracy.sd.toFixed(3)})\t${row.weightedF1.mean.toFixed(3)}\t` +
        `${percent(row.pooledAccuracy)}\t${percent(row.majorityAccuracy)}\t${percent(row.logisticAccuracy)}`
    )
  ].join('\n')
}

const mergeCommand: CliCommand = {
  path: ['train', 'merge'],
  summary:
    "check that every task of a plan finished, compute the run's results as a local run does, record it and register its model(s)",
  usage: 'train merge DIR --study FILE [--force] [--json]',
  positionals: true,
  options: { force: { type: 'boolean' } },
  async run(input) {
    return mergePlan(input, await readPlan(planDirectory(input)), input.values.force === true)
  },
  format: formatMerge
}

const runPlanCommand: CliCommand = {
  path: ['train', 'run-plan'],
  summary: "run a plan's unfinished tasks on this machine in N processes; with --study, merge it afterwards",
  usage: 'train run-plan DIR --jobs N [--study FILE] [--emoheal "node /path/cli.js"] [--json]',
  positionals: true,
  options: { jobs: { type: 'string' }, emoheal: { type: 'string' } },
  async run(input) {
    const loaded = await readPlan(planDirectory(input))
    const jobs = positive(input, 'jobs') ?? 1
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    let summary
    try {
      summary = await runPlanLocally(loaded, {
        jobs,
        command: commandOption(input),
        signal: controller.signal,
        onTask: (event) =>
          input.progress(
            `task ${event.index} ${event.state}${event.seconds !== undefined ? ` (${event.seconds.toFixed(1)} s)` : ''}${event.message ? `: ${event.message}` : ''}`
          )
      })
    } finally {
      process.off('SIGINT', stop)
    }
    if (summary.failed.length)
      throw new EmohealError(
        `${summary.failed.length} task(s) failed: ${summary.failed.map((f) => `${f.index} (${f.message})`).join('; ')}; see ${resolve(loaded.dir, planFiles.logs)}`
      )
    if (input.values.study === undefined) return { ok: true, ...summary, merged: false, study: null }
    input.progress(`merging into ${studyPathOf(input)}`)
    return mergePlan(input, loaded, false)
  },
  format(result) {
    const r = result as { merged?: boolean; ran?: number[]; skipped?: number[] }
    if (r.merged === false)
      return `ran ${r.ran?.length} tasks (${r.skipped?.length} were done already); merge with: emoheal train merge DIR --study FILE`
    return formatMerge(result)
  }
}

export const trainPlanCommands: CliCommand[] = [
  planCommand,
  taskCommand,
  submitCommand,
  statusCommand,
  mergeCommand,
  runPlanCommand
]
