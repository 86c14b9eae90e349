#!/usr/bin/env node
/**
 * The figures of a training plan for a K-EmoCon-sized study: `node bench/train-plan.mjs`.
 *
 * Builds the CLI from source (esbuild), synthesizes a K-EmoCon-format dataset (32 participants x 10 min by
 * default) and imports it, then plans the paper protocol. It measures one fold-member task and the final
 * task at a reduced epoch count (--measure-epochs), splits each into fixed + epochs x per-epoch, and
 * extrapolates to the protocol's epochs: an upper bound, since early stopping usually ends a model
 * sooner. Beside it, the peer: the same reduced protocol as one `emoheal train` process, against what the
 * fitted task times predict for it, so that the extrapolation's model is checked in the same run. Wall
 * times on K nodes come from placing the plan's tasks, in plan order, on K one-task slots (queue waits not
 * counted). Options: --participants N, --minutes M, --epochs E (the protocol's), --jobs J (the peer's
 * parallel folds, default 1: one process, as each measured task is), --no-peer, --json FILE.
 */
import { bundleForNode } from './bundle.mjs'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '32' },
    minutes: { type: 'string', default: '10' },
    epochs: { type: 'string', default: '150' },
    'measure-epochs': { type: 'string', default: '3' },
    jobs: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'auto' },
    'no-peer': { type: 'boolean' },
    json: { type: 'string' }
  },
  strict: true
})
const epochs = Number(values.epochs)
const high = Number(values['measure-epochs'])
const jobs = Number(values.jobs)
const log = (line) => process.stderr.write(`[bench] ${line}\n`)

const cli = join(root, 'out', 'bench-plan', 'cli.js')
// The training worker beside it, as in out/main: the peer's --jobs trains folds in worker threads.
for (const [entry, outfile] of [
  ['src-main/cli/index.ts', cli],
  ['src-main/engine/runs/train-worker.ts', join(dirname(cli), 'train-worker.js')]
])
  await bundleForNode({ outfile, entryPoints: [join(root, entry)], logLevel: 'error' })

function emoheal(args) {
  const started = process.hrtime.bigint()
  const child = spawnSync(process.execPath, [cli, ...args, '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (child.status !== 0)
    throw new Error(`emoheal ${args.join(' ')} failed:\n${child.stdout}\n${child.stderr}`)
  return { output: JSON.parse(child.stdout), seconds }
}

const work = mkdtempSync(join(tmpdir(), 'emoheal-bench-plan-'))
try {
  const data = join(work, 'kemocon')
  const study = join(work, 'study.emoheal')
  log(`synthesizing ${values.participants} participants x ${values.minutes} min`)
  emoheal(['synth', '--out', data, '--participants', values.participants, '--minutes', values.minutes])
  emoheal(['import', 'kemocon', data, '--study', study])
  const common = ['--study', study, '--preset', 'paper', '--seed', '1', '--backend', values.backend]
  const full = emoheal([
    'train',
    'plan',
    ...common,
    '--epochs',
    String(epochs),
    '--out',
    join(work, 'plan-full')
  ])
  const planSeconds = full.seconds
  const plan = JSON.parse(readFileSync(join(work, 'plan-full', 'plan.json'), 'utf8'))
  const point = plan.points[0]
  log(
    `plan: ${plan.tasks.length} tasks (${point.folds.length} folds x ${point.resolved.settings.ensemble} members + final), ${plan.windows.sets[0].count} windows`
  )

  /**
   * The final task and the first fold-member task at `e` epochs, each a process of its own. A task's time is
   * read as fixed + epochs x per-epoch, per-epoch from its own fitted windows over its measured training
   * speed (which counts each epoch's validation), fixed the rest of its wall time (start-up, windows, save).
   */
  function measure(e) {
    const dir = join(work, `plan-${e}`)
    emoheal(['train', 'plan', ...common, '--epochs', String(e), '--out', dir])
    const tasks = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')).tasks
    const run = (task) => {
      const { output, seconds } = emoheal(['train', 'task', dir, '--index', String(task.index)])
      const perEpoch = output.counts.fit / output.summary.windowsPerSecond
      const epochsRun = output.summary.epochsRun
      const fixed = seconds - epochsRun * perEpoch
      log(
        `  ${task.kind} task at ${e} epochs: ${seconds.toFixed(1)} s wall, ${epochsRun} epochs of ${output.counts.fit} windows ` +
          `at ${output.summary.windowsPerSecond.toFixed(0)} windows/s (${output.backend.name})`
      )
      return {
        wall: seconds,
        epochsRun,
        perEpoch,
        fixed,
        backend: output.backend.name,
        at: (n) => fixed + n * perEpoch
      }
    }
    return {
      member: run(tasks.find((task) => task.kind === 'member')),
      final: run(tasks.find((task) => task.kind === 'final'))
    }
  }
  const measured = measure(high)
  const member = measured.member
  const final = measured.final
  const taskSeconds = (task, e) => (task.kind === 'final' ? final.at(e) : member.at(e))

  /** Wall time of the plan's tasks placed in plan order on `slots` one-task slots (a Slurm array, throttled or not). */
  function onSlots(slots, e) {
    const free = new Array(slots).fill(0)
    for (const task of plan.tasks) {
      const slot = free.indexOf(Math.min(...free))
      free[slot] += taskSeconds(task, e)
    }
    return Math.max(...free)
  }
  /**
   * One `emoheal train --jobs J` process: folds spread over J workers, each fold's members one after another,
   * then the final model alone; one start-up, not one per model.
   */
  function oneMachine(e, j) {
    const folds = point.folds.length
    const members = point.resolved.settings.ensemble
    const memberTrain = member.at(e) - member.fixed
    // Cutting the windows from the study: what `train plan` spends once, a local run spends too.
    return planSeconds + Math.ceil(folds / j) * members * memberTrain + (final.at(e) - final.fixed)
  }

  let peer = null
  if (!values['no-peer']) {
    log(`peer: one emoheal train process, ${high} epochs, --jobs ${jobs}`)
    const { seconds } = emoheal([
      'train',
      ...common,
      '--epochs',
      String(high),
      '--jobs',
      String(jobs),
      '--out',
      join(work, 'peer-model')
    ])
    peer = { epochs: high, jobs, measured: seconds, predicted: oneMachine(high, jobs) }
  }
  const nodes = [1, 2, 4, 8, plan.tasks.length]
  const figures = {
    participants: Number(values.participants),
    minutes: Number(values.minutes),
    windows: plan.windows.sets[0].count,
    tasks: plan.tasks.length,
    epochs,
    backend: member.backend,
    cores: availableParallelism(),
    load: loadavg()[0],
    memberTask: { perEpoch: member.perEpoch, fixed: member.fixed, atProtocol: member.at(epochs) },
    finalTask: { perEpoch: final.perEpoch, fixed: final.fixed, atProtocol: final.at(epochs) },
    planSeconds,
    oneMachine: [1, availableParallelism()].map((j) => ({ jobs: j, seconds: oneMachine(epochs, j) })),
    slurm: nodes.map((k) => ({ nodes: k, seconds: planSeconds + onSlots(k, epochs) })),
    peer,
    estimate: full.output.estimate,
    slurmSettings: full.output.slurm
  }
  const h = (s) => (s >= 3600 ? `${(s / 3600).toFixed(2)} h` : `${(s / 60).toFixed(1)} min`)
  console.log(
    `K-EmoCon-sized study: ${figures.participants} participants x ${figures.minutes} min, ${figures.windows} windows, paper preset, backend ${figures.backend}, ${figures.cores} cores (load ${figures.load.toFixed(1)})`
  )
  console.log(`plan: ${figures.tasks} tasks; every epoch run (${epochs}), no early stop: an upper bound`)
  console.log(
    `one member task: ${member.fixed.toFixed(1)} s fixed + ${member.perEpoch.toFixed(2)} s/epoch = ${h(member.at(epochs))} (measured at ${high} epochs)`
  )
  console.log(
    `final task:      ${final.fixed.toFixed(1)} s fixed + ${final.perEpoch.toFixed(2)} s/epoch = ${h(final.at(epochs))}`
  )
  console.log(`train plan (reads the study, cuts and writes the windows): ${planSeconds.toFixed(1)} s`)
  for (const row of figures.oneMachine)
    console.log(`one machine, emoheal train --jobs ${row.jobs}: ${h(row.seconds)}`)
  for (const row of figures.slurm)
    console.log(
      `Slurm, ${String(row.nodes).padStart(2)} one-core slots: ${h(row.seconds)} (plan included; queue waits and merge not)`
    )
  if (peer)
    console.log(
      `peer check at ${high} epochs: one emoheal train --jobs ${jobs} took ${peer.measured.toFixed(1)} s; the fitted task times predict ${peer.predicted.toFixed(1)} s`
    )
  console.log(
    `the plan's own estimate (sbatch --time): longest task ${h(figures.estimate.longestTaskSeconds)} at ${figures.estimate.windowsPerSecond} windows/s, --time ${figures.slurmSettings.timeMinutes} min`
  )
  if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
