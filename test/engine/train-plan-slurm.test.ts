import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src-main/cli/index'
import { ModelStore } from '../../src-main/store/model-store'
import { StudyStore } from '../../src-main/store/study-store'
import { bundledCli } from '../support/bundled-cli'
import { slurmUnavailableReason, startSlurmCluster, type SlurmCluster } from '../support/slurm-cluster'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

const reason = slurmUnavailableReason()
if (reason) console.warn(`[train plan on Slurm] skipped: ${reason}`)

async function cli(args: string[]): Promise<{ code: number; output: Record<string, unknown> }> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  try {
    const code = await main(args)
    return { code, output: JSON.parse(String(log.mock.calls.at(-1)?.[0])) as Record<string, unknown> }
  } finally {
    log.mockRestore()
    error.mockRestore()
    write.mockRestore()
  }
}

describe.skipIf(reason !== null)('emoheal train submit on a one-node Slurm', () => {
  let planted: PlantedStudy
  let cluster: SlurmCluster
  let previousConf: string | undefined
  beforeAll(async () => {
    cluster = await startSlurmCluster()
    previousConf = process.env.SLURM_CONF
    // sbatch and squeue, started by the CLI, find the test cluster through SLURM_CONF.
    process.env.SLURM_CONF = cluster.env.SLURM_CONF
    planted = createPlantedStudy({ participants: ['1', '2', '3'], windowsPerParticipant: 10 })
    planted.study.close()
  })
  afterAll(async () => {
    if (previousConf === undefined) delete process.env.SLURM_CONF
    else process.env.SLURM_CONF = previousConf
    await cluster?.stop()
    planted?.close()
  })

  it('plans, submits an array job, reports it, waits for it and merges it into the study', async () => {
    const dir = join(planted.dir, 'plan')
    const command = `${process.execPath} ${await bundledCli('train-plan-slurm')}`
    const plan = await cli([
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
      '2',
      '--ensemble',
      '1',
      '--filters',
      '4',
      '--seed',
      '9',
      '--backend',
      'wasm',
      '--throttle',
      '2',
      '--job-name',
      'emoheal-test',
      '--out',
      dir,
      '--emoheal',
      command,
      '--json'
    ])
    expect(plan.code, JSON.stringify(plan.output)).toBe(0)
    expect(plan.output.tasks).toBe(3)
    const submitted = await cli(['train', 'submit', dir, '--json'])
    expect(submitted.code, JSON.stringify(submitted.output)).toBe(0)
    expect(submitted.output).toMatchObject({ ok: true, tasks: 3, array: '0-2%2' })
    const jobId = submitted.output.jobId as string
    expect(jobId).toMatch(/^\d+$/)
    const queued = await cli(['train', 'status', dir, '--json'])
    for (const task of queued.output.tasks as { state: string }[])
      expect(['pending', 'running', 'done']).toContain(task.state)
    try {
      await cluster.waitIdle(240_000)
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${cluster.logs()}`)
    }
    const status = await cli(['train', 'status', dir, '--json'])
    const log = (i: number) => readFileSync(join(dir, 'logs', `task-${i}.log`), 'utf8')
    expect(status.output.counts, log(0)).toMatchObject({ done: 3, failed: 0, missing: 0 })
    expect(log(1)).toMatch(new RegExp(`\\[emoheal\\] task 1 of job ${jobId} on .*, 1 CPUs`))
    const result = JSON.parse(readFileSync(join(dir, 'results', 'task-2', 'result.json'), 'utf8'))
    expect(result.slurm).toMatchObject({ arrayJobId: jobId, arrayTaskId: '2' })
    expect(result.threads).toBe(1)
    const merged = await cli(['train', 'merge', dir, '--study', planted.path, '--json'])
    expect(merged.code, JSON.stringify(merged.output)).toBe(0)
    expect(merged.output).toMatchObject({ ok: true, protocol: 'kfold', backend: { name: 'wasm' } })
    expect(merged.output.folds).toHaveLength(2)
    const study = new StudyStore(planted.path)
    try {
      const models = new ModelStore(study.db)
      expect(models.getRun(merged.output.runId as number)).toMatchObject({
        status: 'done',
        modelId: merged.output.modelId
      })
      expect(models.getModel(merged.output.modelId as number).preset).toBe('paper')
    } finally {
      study.close()
    }
  }, 360_000)
})
