import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, promises as fs } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { CancelledError, NotFoundError } from '../../errors'
import { threadsPerJob } from '../runtime/backend'
import { logFile, planFiles, readTaskResult, type LoadedPlan } from './plan-format'
import { logTail } from './status'

/**
 * How a task runs emoheal by default: this Node (or Electron, as Node) with the built cli.js beside the
 * running bundle, else the project's build output.
 */
export function defaultTaskCommand(): string[] {
  const candidates = [
    ...(require.main?.filename ? [join(dirname(require.main.filename), 'cli.js')] : []),
    ...(typeof __dirname === 'string' ? [join(__dirname, 'cli.js'), join(__dirname, '..', 'cli.js')] : []),
    resolve(process.cwd(), 'out/main/cli.js')
  ]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (!found)
    throw new NotFoundError(
      `no emoheal CLI: none of ${candidates.join(', ')} exists; run "npm run build" or pass --emoheal`
    )
  return [process.execPath, found]
}

export interface LocalRunOptions {
  jobs: number
  /** Overrides the plan's command (e.g. another build of emoheal). */
  command?: string[]
  signal?: AbortSignal
  onTask?: (event: {
    index: number
    state: 'started' | 'done' | 'failed'
    seconds?: number
    message?: string
  }) => void
}

export interface LocalRunSummary {
  ran: number[]
  skipped: number[]
  failed: { index: number; message: string }[]
}

/**
 * `emoheal train run-plan`: the unfinished tasks in `jobs` child processes, each exactly the command a
 * Slurm array task runs, with its log in logs/task-N.log and TensorFlow's threads shared out as for
 * parallel folds. A failed task does not stop the others; the summary names it.
 */
export async function runPlanLocally(loaded: LoadedPlan, options: LocalRunOptions): Promise<LocalRunSummary> {
  const command = options.command ?? loaded.plan.command
  const summary: LocalRunSummary = { ran: [], skipped: [], failed: [] }
  const todo: number[] = []
  for (const task of loaded.plan.tasks) {
    if (await readTaskResult(loaded, task.index).catch(() => null)) summary.skipped.push(task.index)
    else todo.push(task.index)
  }
  const jobs = Math.max(1, Math.min(options.jobs, todo.length))
  const threads = threadsPerJob(jobs)
  await fs.mkdir(join(loaded.dir, planFiles.logs), { recursive: true })
  const children = new Set<ReturnType<typeof spawn>>()
  const onAbort = () => children.forEach((child) => child.kill('SIGTERM'))
  options.signal?.addEventListener('abort', onAbort)
  let next = 0
  const runOne = (index: number) =>
    new Promise<void>((resolveTask) => {
      const started = Date.now()
      const log = createWriteStream(logFile(loaded.dir, index), { flags: 'a' })
      log.write(
        `[emoheal] task ${index} (local, ${threads} thread${threads === 1 ? '' : 's'}), ${new Date().toISOString()}\n`
      )
      const child = spawn(
        command[0],
        [
          ...command.slice(1),
          'train',
          'task',
          loaded.dir,
          '--index',
          String(index),
          '--threads',
          String(threads)
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            ...process.env,
            ELECTRON_RUN_AS_NODE: '1',
            TF_CPP_MIN_LOG_LEVEL: '2',
            EMOHEAL_TF_THREADS: String(threads)
          }
        }
      )
      children.add(child)
      child.stdout.pipe(log, { end: false })
      child.stderr.pipe(log, { end: false })
      options.onTask?.({ index, state: 'started' })
      let finished = false
      const finish = async (code: number | null, error?: Error) => {
        if (finished) return
        finished = true
        children.delete(child)
        await new Promise<void>((done) => log.end(done))
        const seconds = (Date.now() - started) / 1000
        if (code === 0 && !error) {
          summary.ran.push(index)
          options.onTask?.({ index, state: 'done', seconds })
        } else {
          const tail = await logTail(loaded.dir, index, 1)
          const message = error?.message ?? tail[0] ?? `exit code ${code}`
          summary.failed.push({ index, message })
          options.onTask?.({ index, state: 'failed', seconds, message })
        }
        resolveTask()
      }
      child.once('error', (error) => void finish(null, error))
      child.once('close', (code) => void finish(code))
    })
  try {
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        while (next < todo.length) {
          if (options.signal?.aborted) throw new CancelledError('the plan run was cancelled')
          await runOne(todo[next++])
        }
      })
    )
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  if (options.signal?.aborted) throw new CancelledError('the plan run was cancelled')
  return summary
}
