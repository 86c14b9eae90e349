import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { main } from '../../../src-main/cli/index'
import { FIXTURES, temporaryFolder } from '../study-helpers'

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

const ROOT = join(FIXTURES, 'embraceplus', 'bucket', '1', '1', 'participant_data')

describe('emoheal import embraceplus', () => {
  it('imports a bucket root for one participant, lists everyone found, and exports the session as CSV', async () => {
    const dir = temporaryFolder()
    const study = join(dir, 'cli.emoheal')
    const text = await runCli([
      'import',
      'embraceplus',
      ROOT,
      '--participant',
      'P01',
      '--study',
      study,
      '--one-session'
    ])
    expect(text.stderr).toBe('')
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^Imported embraceplus from .*: 1 sessions, /)
    expect(text.stdout).toContain('participants in the source: P01, P02')
    expect(text.stdout).toMatch(
      /4 files 2025-07-14\/P01-3YK0000001\/raw_data\/v6\/1-1-P01_1752475252\.avro \.\. .*schema 6\.4\.1; 1 gaps \(longest 1\d{3}\.\d+ s\)/
    )
    expect(text.stdout).toMatch(/empty streams skipped: gyro \(4 of 4\)/)
    expect(text.stdout).toMatch(/acc \d+ @64\.\d+ \(nominal 64\) Hz/)
    const again = await runCli([
      'import',
      'embraceplus',
      ROOT,
      '--participant',
      'P01',
      '--study',
      study,
      '--one-session'
    ])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^emoheal import embraceplus: .*already imported.*\(--replace\)$/)

    const out = join(dir, 'csv')
    const exported = await runCli([
      'export',
      'csv',
      '--study',
      study,
      '--session',
      '1',
      '--out',
      out,
      '--json'
    ])
    expect(exported.code).toBe(0)
    const summary = JSON.parse(exported.stdout) as {
      files: { file: string; stream: string; samples: number }[]
    }
    expect(summary.files.map((f) => f.stream)).toEqual(
      expect.arrayContaining(['acc', 'bvp', 'eda', 'temp', 'ibi', 'bm_pulse_rate'])
    )
    const acc = readFileSync(join(out, 'acc.csv'), 'utf8').trimEnd().split('\n')
    expect(acc[0]).toBe('time_ms,x,y,z')
    expect(acc).toHaveLength(summary.files.find((f) => f.stream === 'acc')!.samples + 1)
    // Counts converted to g (6.4: 32/65536 g per count); the fixture's z axis is 2048 +-2 counts.
    const z = Number(acc[1].split(',')[3])
    expect(z).toBeGreaterThan(0.99)
    expect(z).toBeLessThan(1.01)
    const gaps = readFileSync(join(out, 'gaps.csv'), 'utf8').trimEnd().split('\n')
    expect(gaps[0]).toBe('stream,start_ms,end_ms,missing_samples,cause')
    expect(gaps.filter((line) => line.startsWith('acc,'))).toHaveLength(1)
    const meta = JSON.parse(readFileSync(join(out, 'session.json'), 'utf8'))
    expect(meta.session).toMatchObject({ source: 'embraceplus', timezone: 'Etc/GMT-1', participant: 'P01' })
    const accMeta = meta.streams.find((s: { name: string }) => s.name === 'acc')
    expect(accMeta.nominalRateHz).toBe(64)
    expect(accMeta.measuredRateHz).toBeGreaterThan(63.99)
    expect(readFileSync(join(out, 'markers.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(4)
  })

  it('says in one line which file is damaged, and leaves no study behind it', async () => {
    const study = join(temporaryFolder(), 'bad.emoheal')
    const bad = join(FIXTURES, 'embraceplus', 'malformed', 'truncated.avro')
    const result = await runCli(['import', 'embraceplus', bad, '--participant', 'BAD', '--study', study])
    expect(result.code).toBe(1)
    expect(result.stderr.split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('truncated.avro: truncated in block 1')
    const dates = await runCli([
      'import',
      'embraceplus',
      ROOT,
      '--participant',
      'P01',
      '--study',
      study,
      '--from',
      '14-07-2025'
    ])
    expect(dates.code).toBe(1)
    expect(dates.stderr).toContain('--from must be a date YYYY-MM-DD')
  })
})
