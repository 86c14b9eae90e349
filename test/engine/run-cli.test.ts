import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src-main/cli/index'
import { ModelStore } from '../../src-main/store/model-store'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

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

describe('emoheal train', () => {
  let planted: PlantedStudy
  beforeAll(() => {
    planted = createPlantedStudy({ participants: ['1', '2', '3', '4'], windowsPerParticipant: 16 })
    planted.study.close()
  })
  afterAll(() => planted.close())

  it('prints per-fold and pooled metrics beside both baselines, and records the run', async () => {
    const out = join(planted.dir, 'cli-model')
    const args = [
      'train',
      '--study',
      planted.path,
      '--preset',
      'paper',
      '--groups',
      'auto',
      '--epochs',
      '2',
      '--ensemble',
      '1'
    ]
    const { code, output } = await cli([
      ...args,
      '--filters',
      '4',
      '--seed',
      '3',
      '--backend',
      'wasm',
      '--normalize',
      '--out',
      out,
      '--json'
    ])
    expect(code).toBe(0)
    expect(output).toMatchObject({
      ok: true,
      preset: 'paper',
      protocol: 'groups (auto)',
      backend: { name: 'wasm' },
      modelDirectory: out
    })
    const folds = output.folds as {
      model: { accuracy: number }
      majority: { accuracy: number }
      logistic: { confusion: number[][] }
    }[]
    expect(folds).toHaveLength(4)
    expect(output.groups).toHaveLength(4)
    for (const fold of folds) expect(fold.majority.accuracy).toBeGreaterThan(0)
    expect(output.pooled).toHaveProperty('majority.accuracy')
    expect(output.pooled).toHaveProperty('logistic.auc')
    expect(output.parameterCount).toBeGreaterThan(10_000)
    const { StudyStore } = await import('../../src-main/store/study-store')
    const study = new StudyStore(planted.path)
    try {
      const runs = new ModelStore(study.db).listRuns()
      expect(runs).toHaveLength(1)
      expect(runs[0]).toMatchObject({ status: 'done', modelId: output.modelId })
    } finally {
      study.close()
    }
  })

  it('fails with one line naming the missing published participants', async () => {
    const { code, output } = await cli([
      'train',
      '--study',
      planted.path,
      '--groups',
      'published',
      '--backend',
      'wasm',
      '--json'
    ])
    expect(code).toBe(1)
    expect((output.error as { message: string }).message).toMatch(
      /needs K-EmoCon participants 5, 8, 9, 10, 13/
    )
  })
})
