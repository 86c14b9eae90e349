import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

const programs = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol']
const searchPath = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]

function which(program: string): string | null {
  for (const folder of searchPath) {
    const candidate = join(folder, program)
    if (existsSync(candidate)) return candidate
  }
  return null
}

/** Why a local Slurm cannot be started here, or null when it can (Debian's slurm-wlm and munge, run as root). */
export function slurmUnavailableReason(): string | null {
  const missing = programs.filter((program) => !which(program))
  if (missing.length)
    return `Slurm is absent (${missing.join(', ')} not found): apt-get install slurm-wlm munge`
  if (process.getuid?.() !== 0)
    return 'a local Slurm cluster for the tests needs root (slurmd starts jobs as their user)'
  return null
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface SlurmCluster {
  dir: string
  /** The environment that points sbatch, squeue and scontrol at this cluster (SLURM_CONF). */
  env: NodeJS.ProcessEnv
  /** Waits until no job of the cluster is queued or running. */
  waitIdle(timeoutMs: number): Promise<void>
  logs(): string
  stop(): Promise<void>
}

/**
 * A one-node Slurm on localhost, all in a temporary folder: munged with a generated key on its own socket,
 * slurmctld and slurmd from a generated slurm.conf (linuxproc process tracking, no task plugin, cons_tres
 * on the node's real CPUs and memory) on free ports. Nothing of the machine's own Slurm or munge is used.
 * Every daemon runs as the user running the tests (root not needed): slurmd then starts only that user's
 * jobs, which is all a test submits.
 */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'emoheal-slurm-'))
  chmodSync(dir, 0o755)
  const key = join(dir, 'munge.key')
  writeFileSync(key, randomBytes(1024), { mode: 0o400 })
  const socket = join(dir, 'munge.sock')
  for (const folder of ['state', 'spool', 'munge']) mkdirSync(join(dir, folder), { mode: 0o755 })
  const children: ChildProcess[] = []
  const start = (program: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const child = spawn(which(program) as string, args, { stdio: 'ignore', env })
    children.push(child)
    return child
  }
  start('munged', [
    '--foreground',
    '--force',
    `--key-file=${key}`,
    `--socket=${socket}`,
    `--pid-file=${join(dir, 'munged.pid')}`,
    `--log-file=${join(dir, 'munged.log')}`,
    `--seed-file=${join(dir, 'munge', 'seed')}`
  ])
  const node = execFileSync(which('slurmd') as string, ['-C'], { encoding: 'utf8' })
  const cpus = Number(/CPUs=(\d+)/.exec(node)?.[1] ?? 1)
  const memory = Number(/RealMemory=(\d+)/.exec(node)?.[1] ?? 1024)
  const name = 'emoheal-test-node'
  const user = userInfo().username
  const conf = join(dir, 'slurm.conf')
  writeFileSync(
    conf,
    [
      'ClusterName=emoheal-test',
      'SlurmctldHost=localhost(127.0.0.1)',
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      `SlurmctldPort=${await freePort()}`,
      `SlurmdPort=${await freePort()}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'SchedulerType=sched/backfill',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'MpiDefault=none',
      'ReturnToService=2',
      'SlurmctldTimeout=30',
      'SlurmdTimeout=30',
      'MinJobAge=30',
      'KillWait=5',
      `NodeName=${name} NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=${cpus} RealMemory=${memory} State=UNKNOWN`,
      `PartitionName=test Nodes=${name} Default=YES MaxTime=INFINITE State=UP`,
      ''
    ].join('\n')
  )
  const env = { ...process.env, SLURM_CONF: conf }
  const logs = () =>
    ['munged.log', 'slurmctld.log', 'slurmd.log']
      .map((file) => {
        const path = join(dir, file)
        return existsSync(path)
          ? `--- ${file}\n${readFileSync(path, 'utf8').split('\n').slice(-20).join('\n')}`
          : ''
      })
      .join('\n')
  const stop = async () => {
    for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM')
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => {
              child.kill('SIGKILL')
              resolve()
            }, 10_000)
            child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
          })
      )
    )
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(() => existsSync(socket), 15_000, 'munged did not open its socket')
    start('slurmctld', ['-D', '-i', '-f', conf], env)
    start('slurmd', ['-D', '-N', name, '-f', conf], env)
    await waitFor(
      async () => {
        const { stdout } = await run(which('scontrol') as string, ['show', 'node', name], { env }).catch(
          () => ({
            stdout: ''
          })
        )
        return /State=IDLE/.test(stdout)
      },
      60_000,
      'the node did not come up idle'
    )
  } catch (error) {
    const message = `${(error as Error).message}\n${logs()}`
    await stop()
    throw new Error(message)
  }
  return {
    dir,
    env,
    logs,
    stop,
    async waitIdle(timeoutMs) {
      await waitFor(
        async () => {
          const { stdout } = await run(which('squeue') as string, ['-h', '-o', '%i'], { env })
          return stdout.trim() === ''
        },
        timeoutMs,
        'jobs still queued or running'
      )
    }
  }
}

async function waitFor(
  test: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string
): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await test()) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s`)
}
