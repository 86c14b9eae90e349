import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { main } from '../../src-main/cli/index'
import { createDemoStudy, DEMO_STUDY_NAME } from '../../src-main/datasets/demo-study'
import { ConflictError } from '../../src-main/errors'
import { StudyStore } from '../../src-main/store/study-store'
import { FIXTURES, temporaryFolder } from './study-helpers'

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)))
  const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void err.push(String(line)))
  const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  try {
    const code = await main(argv)
    return { code, stdout: out.join('\n'), stderr: err.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
    progress.mockRestore()
  }
}

describe('demo study', () => {
  it('creates a small synthetic study in a new file', () => {
    const path = join(temporaryFolder(), 'demo.emoheal')
    const { report } = createDemoStudy(path)
    expect(report.totals).toMatchObject({ participants: 4, sessions: 4, streams: 24 })
    const study = new StudyStore(path)
    expect(study.info()).toMatchObject({ name: DEMO_STUDY_NAME, participantCount: 4, sessionCount: 4 })
    // 3-minute debates: 36 rated intervals per rater.
    expect(report.participants[0].annotations.self).toBe(36)
    study.close()
    expect(() => createDemoStudy(path)).toThrow(ConflictError)
  })
})

describe('emoheal import / synth / export commands', () => {
  it('imports K-EmoCon into a study it creates, prints the report as JSON, refuses a second import', async () => {
    const study = join(temporaryFolder(), 'cli.emoheal')
    const first = await runCli([
      'import',
      'kemocon',
      join(FIXTURES, 'kemocon-quirks'),
      '--study',
      study,
      '--json'
    ])
    expect(first.code).toBe(0)
    const report = JSON.parse(first.stdout)
    expect(report.kind).toBe('kemocon')
    expect(report.participants.map((p: { participant: string }) => p.participant)).toEqual(['1', '2', '3'])
    const second = await runCli(['import', 'kemocon', join(FIXTURES, 'kemocon-quirks'), '--study', study])
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/^emoheal import kemocon: .*already imported/)
    const replaced = await runCli([
      'import',
      'kemocon',
      join(FIXTURES, 'kemocon-quirks'),
      '--study',
      study,
      '--replace'
    ])
    expect(replaced.code).toBe(0)
    expect(replaced.stdout).toContain('replacing the earlier import')
  })

  it('synthesizes, imports and exports through the command line', async () => {
    const dir = temporaryFolder()
    const synth = await runCli([
      'synth',
      '--out',
      join(dir, 'k'),
      '--participants',
      '2',
      '--minutes',
      '0.5',
      '--seed',
      '4',
      '--difficulty',
      '0.3',
      '--json'
    ])
    expect(synth.code).toBe(0)
    const summary = JSON.parse(synth.stdout)
    expect(summary).toMatchObject({ participants: 2, difficulty: 0.3 })
    expect(summary.coupling.strength).toBeCloseTo(0.9, 12)
    const study = join(dir, 's.emoheal')
    expect((await runCli(['import', 'kemocon', join(dir, 'k'), '--study', study])).code).toBe(0)
    const exported = await runCli([
      'export',
      'kemocon',
      '--study',
      study,
      '--out',
      join(dir, 'out'),
      '--json'
    ])
    expect(JSON.parse(exported.stdout)).toMatchObject({ participants: ['1', '2'], skipped: [] })
    const bad = await runCli(['synth', '--out', join(dir, 'x'), '--difficulty', 'brutal'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('difficulty must be easy, medium, hard or a number from 0 to 1')
  })

  it('imports E4 Connect sessions and a mapped CSV', async () => {
    const study = join(temporaryFolder(), 'e4.emoheal')
    const e4 = await runCli([
      'import',
      'e4',
      join(FIXTURES, 'e4-connect'),
      '--participant',
      'P7',
      '--study',
      study,
      '--json'
    ])
    expect(e4.code).toBe(0)
    expect(JSON.parse(e4.stdout).totals).toMatchObject({ sessions: 2, markers: 2 })
    const missing = await runCli(['import', 'e4', join(FIXTURES, 'e4-connect'), '--study', study])
    expect(missing.stderr).toBe('emoheal import e4: --participant is required')
    const csv = join(temporaryFolder(), 'lab.csv')
    writeFileSync(csv, 'eda,temp\n0.5,33\n0.6,33.1\n')
    const mapped = await runCli([
      'import',
      'csv',
      csv,
      '--participant',
      'P7',
      '--stream',
      'lab',
      '--columns',
      'eda,temp',
      '--rate',
      '4',
      '--start',
      '2024-05-01T10:00:00Z',
      '--study',
      study,
      '--json'
    ])
    expect(mapped.code).toBe(0)
    const session = JSON.parse(mapped.stdout).participants[0]
    expect(session.streams[0]).toMatchObject({ name: 'lab', samples: 2, durationS: 0.25 })
    const opened = new StudyStore(study)
    expect(opened.listSessions().find((s) => s.name === 'CSV lab.csv')!.startMs).toBe(
      Date.parse('2024-05-01T10:00:00Z')
    )
    opened.close()
  })
})
