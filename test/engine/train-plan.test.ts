import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src-main/cli/index'
import { ModelStore } from '../../src-main/store/model-store'
import { StudyStore } from '../../src-main/store/study-store'
import { bundledCli } from '../support/bundled-cli'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

async function cli(
  args: string[]
): Promise<{ code: number; output: Record<string, unknown>; stderr: string }> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
  const lines: string[] = []
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk))
    return true
  })
  try {
    const code = await main(args)
    const last = String(log.mock.calls.at(-1)?.[0])
    return {
      code,
      output: JSON.parse(last) as Record<string, unknown>,
      stderr: lines.join('') + error.mock.calls.join('\n')
    }
  } finally {
    log.mockRestore()
    error.mockRestore()
    write.mockRestore()
  }
}

function floats(file: string): Float32Array {
  const bytes = readFileSync(file)
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
}

/** Small, but every part of the protocol: four auto groups, two-member ensembles, augmentation, a final model. */
const options = [
  '--preset',
  'paper',
  '--groups',
  'auto',
  '--epochs',
  '2',
  '--ensemble',
  '2',
  '--filters',
  '4',
  '--seed',
  '11',
  '--backend',
  'wasm',
  '--normalize'
]

describe('emoheal train plan', () => {
  let planted: PlantedStudy
  let command: string
  beforeAll(async () => {
    command = `${process.execPath} ${await bundledCli('train-plan')}`
    planted = createPlantedStudy({ participants: ['1', '2', '3', '4'], windowsPerParticipant: 12 })
    planted.study.close()
  })
  afterAll(() => planted.close())

  it('run-plan --jobs 2 merges to the one-process run: same metrics, same final weights, recorded alike', async () => {
    const local = await cli([
      'train',
      '--study',
      planted.path,
      ...options,
      '--out',
      join(planted.dir, 'local-model'),
      '--json'
    ])
    expect(local.code, local.stderr).toBe(0)
    const dir = join(planted.dir, 'plan')
    const plan = await cli([
      'train',
      'plan',
      '--study',
      planted.path,
      ...options,
      '--out',
      dir,
      '--model-out',
      join(planted.dir, 'plan-model'),
      '--throttle',
      '3',
      '--emoheal',
      command,
      '--json'
    ])
    expect(plan.code, plan.stderr).toBe(0)
    // Four folds x two members, and the final model.
    expect(plan.output.tasks).toBe(9)
    const merged = await cli(['train', 'run-plan', dir, '--jobs', '2', '--study', planted.path, '--json'])
    expect(merged.code, merged.stderr).toBe(0)
    const a = local.output
    const b = merged.output
    for (const key of [
      'preset',
      'target',
      'protocol',
      'groups',
      'groupsNote',
      'windows',
      'folds',
      'mean',
      'pooled',
      'review',
      'parameterCount',
      'backend'
    ])
      expect
        .soft(key === 'folds' ? strip(b[key]) : b[key], key)
        .toEqual(key === 'folds' ? strip(a[key]) : a[key])
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort())
    const weightsA = floats(join(planted.dir, 'local-model', 'weights.bin'))
    const weightsB = floats(join(planted.dir, 'plan-model', 'weights.bin'))
    expect(weightsB.length).toBe(weightsA.length)
    let worst = 0
    weightsA.forEach((w, i) => (worst = Math.max(worst, Math.abs(w - weightsB[i]))))
    expect(worst).toBeLessThan(1e-5)
    const manifestA = JSON.parse(readFileSync(join(planted.dir, 'local-model', 'manifest.json'), 'utf8'))
    const manifestB = JSON.parse(readFileSync(join(planted.dir, 'plan-model', 'manifest.json'), 'utf8'))
    expect(manifestB.trainingDataHash).toBe(manifestA.trainingDataHash)
    expect(manifestB.metrics.pooled).toEqual(manifestA.metrics.pooled)
    const study = new StudyStore(planted.path)
    try {
      const models = new ModelStore(study.db)
      const runs = models.listRuns()
      const fromPlan = runs.find((run) => run.id === b.runId)
      expect(fromPlan).toMatchObject({ status: 'done', modelId: b.modelId })
      expect(fromPlan?.results).toMatchObject({
        plan: { directory: dir, tasks: 9 },
        modelDirectory: join(planted.dir, 'plan-model')
      })
      expect(models.getModel(b.modelId as number).directory).toBe(join(planted.dir, 'plan-model'))
    } finally {
      study.close()
    }
    const status = await cli(['train', 'status', dir, '--json'])
    expect(status.output).toMatchObject({ total: 9, counts: { done: 9, failed: 0, missing: 0 } })
    // A second merge would record the run twice.
    const again = await cli(['train', 'merge', dir, '--study', planted.path, '--json'])
    expect(again.code).toBe(1)
    expect((again.output.error as { message: string }).message).toMatch(/merged into .* already \(runs \d+\)/)
  }, 300_000)

  it('runs a task twice to the same weights, leaves nothing finished when killed, and merge names the missing tasks', async () => {
    const dir = join(planted.dir, 'plan-tasks')
    const made = await cli([
      'train',
      'plan',
      '--study',
      planted.path,
      '--preset',
      'paper',
      '--protocol',
      'kfold',
      '--folds',
      '2',
      '--epochs',
      '3',
      '--ensemble',
      '1',
      '--filters',
      '4',
      '--seed',
      '5',
      '--backend',
      'wasm',
      '--no-final',
      '--out',
      dir,
      '--emoheal',
      command,
      '--json'
    ])
    expect(made.code, made.stderr).toBe(0)
    expect(made.output.tasks).toBe(2)
    const first = await cli(['train', 'task', dir, '--index', '1', '--json'])
    expect(first.code, first.stderr).toBe(0)
    const weights = readFileSync(join(dir, 'results', 'task-1', 'weights.bin'))
    const skipped = await cli(['train', 'task', dir, '--index', '1', '--json'])
    expect(skipped.output.skipped).toBe(true)
    const again = await cli(['train', 'task', dir, '--index', '1', '--force', '--json'])
    expect(again.output.skipped).toBe(false)
    expect(readFileSync(join(dir, 'results', 'task-1', 'weights.bin')).equals(weights)).toBe(true)
    const result = JSON.parse(readFileSync(join(dir, 'results', 'task-1', 'result.json'), 'utf8'))
    expect(result.history).toHaveLength(3)
    expect(result.backend.name).toBe('wasm')

    // Task 0, killed while it trains: no result, a failed status with its log, and merge names it.
    const [program, ...args] = command.split(' ')
    const child = spawn(program, [...args, 'train', 'task', dir, '--index', '0'], { stdio: 'ignore' })
    await vi.waitFor(() => expect(existsSync(join(dir, 'state', 'task-0.started'))).toBe(true), {
      timeout: 30_000
    })
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('close', resolve))
    expect(existsSync(join(dir, 'results', 'task-0'))).toBe(false)
    expect(readdirSync(join(dir, 'results')).filter((name) => !name.startsWith('.'))).toEqual(['task-1'])
    writeFileSync(join(dir, 'logs', 'task-0.log'), 'line one\nthe last words of task 0\n')
    const status = await cli(['train', 'status', dir, '--json'])
    expect(status.output.counts).toMatchObject({ done: 1, failed: 1 })
    const zero = (status.output.tasks as { index: number; state: string; logTail: string[] }[])[0]
    expect(zero).toMatchObject({ index: 0, state: 'failed' })
    expect(zero.logTail.at(-1)).toBe('the last words of task 0')
    const merge = await cli(['train', 'merge', dir, '--study', planted.path, '--json'])
    expect(merge.code).toBe(1)
    expect((merge.output.error as { message: string }).message).toMatch(
      /1 of 2 tasks have no result \(failed: 0\)/
    )
  }, 300_000)

  it('writes a sweep as one task per fold x member x point and final model, with a valid array job', async () => {
    const dir = join(planted.dir, 'plan-sweep')
    const made = await cli([
      'train',
      'plan',
      '--study',
      planted.path,
      '--preset',
      'paper',
      '--groups',
      'auto',
      '--epochs',
      '2',
      '--ensemble',
      '3',
      '--filters',
      '4',
      '--seed',
      '1',
      '--backend',
      'wasm',
      '--sweep',
      'lr=1e-3,5e-4;batch=16,32',
      '--throttle',
      '4',
      '--cpus',
      '2',
      '--out',
      dir,
      '--emoheal',
      command,
      '--json'
    ])
    expect(made.code, made.stderr).toBe(0)
    // 4 points x (4 folds x 3 members + final).
    expect(made.output.tasks).toBe(4 * 13)
    const script = readFileSync(join(dir, 'emoheal.sbatch'), 'utf8')
    expect(script).toContain('#SBATCH --array=0-51%4')
    expect(script).toContain('#SBATCH --cpus-per-task=2')
    expect(script).toMatch(/#SBATCH --mem=\d+M/)
    expect(script).toMatch(/#SBATCH --time=\d\d:\d\d:00/)
    expect(script).toContain(`train task ${dir} --index "$SLURM_ARRAY_TASK_ID" --threads "$threads"`)
    expect(spawnSync('bash', ['-n', join(dir, 'emoheal.sbatch')]).status).toBe(0)
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'))
    expect(plan.points.map((p: { label: string }) => p.label)).toEqual([
      'learning-rate=1e-3 batch-size=16',
      'learning-rate=1e-3 batch-size=32',
      'learning-rate=5e-4 batch-size=16',
      'learning-rate=5e-4 batch-size=32'
    ])
    expect(plan.points[2].request).toMatchObject({ learningRate: 5e-4, batchSize: 16, seed: 1 })
    // The four points share one window set.
    expect(plan.windows.sets).toHaveLength(1)
    const bad = await cli([
      'train',
      'plan',
      '--study',
      planted.path,
      '--sweep',
      'colour=red',
      '--out',
      join(planted.dir, 'bad'),
      '--json'
    ])
    expect(bad.code).toBe(1)
    expect((bad.output.error as { message: string }).message).toMatch(
      /"colour" is not a flag a sweep can vary/
    )
  })
})

describe('emoheal train merge of a sweep', () => {
  let planted: PlantedStudy
  beforeAll(() => {
    planted = createPlantedStudy({ participants: ['1', '2', '3'], windowsPerParticipant: 10, seed: 3 })
    planted.study.close()
  })
  afterAll(() => planted.close())

  it('records one run per point and stores one table of every point', async () => {
    const dir = join(planted.dir, 'sweep')
    const command = `${process.execPath} ${await bundledCli('train-plan')}`
    const made = await cli([
      'train',
      'plan',
      '--study',
      planted.path,
      '--preset',
      'paper',
      '--protocol',
      'kfold',
      '--folds',
      '2',
      '--epochs',
      '1',
      '--ensemble',
      '1',
      '--filters',
      '4',
      '--backend',
      'wasm',
      '--no-final',
      '--sweep',
      'lr=1e-3,1e-4',
      '--out',
      dir,
      '--emoheal',
      command,
      '--json'
    ])
    expect(made.code, made.stderr).toBe(0)
    // No --seed: one is drawn, recorded, and the same for every point.
    expect(made.output.seedDrawn).toBe(true)
    const merged = await cli(['train', 'run-plan', dir, '--jobs', '2', '--study', planted.path, '--json'])
    expect(merged.code, merged.stderr).toBe(0)
    const sweep = merged.output.sweep as { point: string; runId: number; accuracy: { mean: number } }[]
    expect(sweep.map((row) => row.point)).toEqual(['learning-rate=1e-3', 'learning-rate=1e-4'])
    const runs = merged.output.runs as { runId: number; mean: { accuracy: { mean: number } } }[]
    expect(runs.map((run) => run.runId)).toEqual(sweep.map((row) => row.runId))
    runs.forEach((run, i) => expect(sweep[i].accuracy.mean).toBe(run.mean.accuracy.mean))
    const study = new StudyStore(planted.path)
    try {
      const models = new ModelStore(study.db)
      for (const row of sweep) {
        const run = models.getRun(row.runId)
        expect(run.status).toBe('done')
        expect(run.modelId).toBeNull()
        expect((run.results as { plan: { sweep: unknown } }).plan.sweep).toEqual(sweep)
      }
      expect(models.getRun(sweep[1].runId).config).toMatchObject({
        learningRate: 1e-4,
        seed: made.output.seed
      })
    } finally {
      study.close()
    }
    expect(JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')).sweep).toEqual(sweep)
  }, 300_000)
})

/** Per-fold results without what depends on the clock (training speed). */
function strip(folds: unknown): unknown {
  return (folds as { members: { windowsPerSecond: number }[] }[]).map((fold) => ({
    ...fold,
    members: fold.members.map(({ windowsPerSecond: _w, ...member }) => member)
  }))
}
