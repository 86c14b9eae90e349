import Database from 'better-sqlite3'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SIMULATOR_STREAMS } from '../../src-main/devices/simulator'
import { cliPath, tempDir } from '../e2e/harness'

const skip = existsSync(cliPath) ? null : `${cliPath} is missing: run "npm run build" first`
if (skip) console.warn(`skipping record CLI tests: ${skip}`)

function cli(args: string[]): string {
  return execFileSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' })
}

function studyWithParticipant(): string {
  const study = join(tempDir('emoheal-record-cli-'), 'study.emoheal-study')
  cli(['study', 'init', '--study', study, '--name', 'Record CLI'])
  cli(['participant', 'add', '--study', study, '--code', 'P01'])
  return study
}

/** The last committed sample time of each stream, read through a connection of this process. */
function lastTimes(study: string): Map<string, number> {
  const db = new Database(study, { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT name, end_ms FROM stream').all() as {
      name: string
      end_ms: number | null
    }[]
    return new Map(rows.filter((row) => row.end_ms !== null).map((row) => [row.name, row.end_ms!]))
  } finally {
    db.close()
  }
}

/**
 * `emoheal record` of the simulator in a process of its own, returned once samples have been committed for a
 * second (and the start line printed), so a test can stop or kill it mid-recording.
 */
async function recordUntilCommitted(study: string, json: boolean) {
  const args = [
    cliPath,
    'record',
    '--study',
    study,
    '--participant',
    'P01',
    '--protocol',
    'simulator',
    '--model',
    'none'
  ]
  const child = spawn(process.execPath, json ? [...args, '--json'] : args, {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  )
  const deadline = Date.now() + 30_000
  while (!/recording session/.test(output.stderr) || (lastTimes(study).get('bvp') ?? 0) < Date.now() - 1000) {
    if (Date.now() > deadline) throw new Error(`no samples were committed: ${output.stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { child, exited, output }
}

describe.skipIf(skip !== null)('emoheal record', () => {
  it('records the simulator for --duration and prints what it stored; export csv takes the session out', () => {
    const study = studyWithParticipant()
    const summary = JSON.parse(
      cli([
        'record',
        '--study',
        study,
        '--participant',
        'P01',
        '--protocol',
        'simulator',
        '--device',
        'simulator',
        '--duration',
        '3',
        '--model',
        'none',
        '--json'
      ])
    ) as {
      sessionId: number
      durationMs: number
      streams: { name: string; stored: number; nominalRateHz: number; lost: number }[]
    }
    expect(summary.durationMs).toBeGreaterThanOrEqual(3000)
    expect(summary.streams.map((stream) => stream.name)).toEqual(
      SIMULATOR_STREAMS.map((stream) => stream.name)
    )
    for (const stream of summary.streams) {
      expect(stream.stored).toBeGreaterThanOrEqual(Math.floor(stream.nominalRateHz * 2.5))
      expect(stream.lost).toBe(0)
    }
    const { sessions } = JSON.parse(cli(['sessions', '--study', study, '--json'])) as {
      sessions: { id: number; source: string; streams: { name: string; sampleCount: number }[] }[]
    }
    const recorded = sessions.find((session) => session.id === summary.sessionId)!
    expect(recorded.source).toBe('recording')
    for (const stream of summary.streams)
      expect(recorded.streams.find((candidate) => candidate.name === stream.name)!.sampleCount).toBe(
        stream.stored
      )

    const out = join(tempDir('emoheal-record-csv-'), 'session')
    cli(['export', 'csv', '--study', study, '--session', String(summary.sessionId), '--out', out])
    expect(readdirSync(out).sort()).toEqual([
      'acc.csv',
      'bvp.csv',
      'eda.csv',
      'hr.csv',
      'markers.csv',
      'session.json',
      'temp.csv'
    ])
    const acc = readFileSync(join(out, 'acc.csv'), 'utf8').trim().split('\n')
    expect(acc[0]).toBe('time_ms,x,y,z')
    expect(acc.length - 1).toBe(summary.streams.find((stream) => stream.name === 'acc')!.stored)
    const [time, ...values] = acc[1].split(',').map(Number)
    expect(time).toBeGreaterThan(Date.UTC(2026, 0, 1))
    expect(values).toHaveLength(3)
    expect(values.every(Number.isFinite)).toBe(true)
    const meta = JSON.parse(readFileSync(join(out, 'session.json'), 'utf8')) as {
      recording: { state: string }
      streams: { name: string; unit: string }[]
    }
    expect(meta.recording.state).toBe('complete')
    expect(meta.streams.find((stream) => stream.name === 'eda')!.unit).toBe('uS')
  })

  it('keeps every sample up to a second before a SIGKILL, marks the session interrupted, and the file passes integrity_check', async () => {
    const study = studyWithParticipant()
    const { child, exited } = await recordUntilCommitted(study, false)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const killedAt = Date.now()
    child.kill('SIGKILL')
    expect((await exited).signal).toBe('SIGKILL')

    // The next open (here the CLI's) finds the recording's process gone.
    const { sessions } = JSON.parse(cli(['sessions', '--study', study, '--json'])) as {
      sessions: { id: number }[]
    }
    expect(sessions).toHaveLength(1)
    const db = new Database(study, { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      const session = db
        .prepare('SELECT recording_state, recording_message, duration_ms FROM session')
        .get() as {
        recording_state: string
        recording_message: string
        duration_ms: number
      }
      expect(session.recording_state).toBe('interrupted')
      expect(session.duration_ms).toBeGreaterThan(3000)
      for (const stream of SIMULATOR_STREAMS) {
        const last = lastTimes(study).get(stream.name)!
        // At most a second is lost, plus the time to the stream's next sample.
        expect(killedAt - last, stream.name).toBeLessThanOrEqual(1000 + 1000 / stream.rateHz)
      }
      const counts = db.prepare('SELECT name, sample_count FROM stream').all() as {
        name: string
        sample_count: number
      }[]
      const stored = db
        .prepare(
          'SELECT s.name, sum(c.sample_count) AS n FROM chunk c JOIN stream s ON s.id = c.stream_id GROUP BY s.name'
        )
        .all() as {
        name: string
        n: number
      }[]
      for (const row of counts)
        expect(stored.find((candidate) => candidate.name === row.name)!.n).toBe(row.sample_count)
    } finally {
      db.close()
    }
  })

  it('stops cleanly on Ctrl+C (SIGINT): the last samples are committed and the session is complete', async () => {
    const study = studyWithParticipant()
    const { child, exited, output } = await recordUntilCommitted(study, true)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    child.kill('SIGINT')
    expect((await exited).code).toBe(0)
    const summary = JSON.parse(output.stdout) as {
      sessionId: number
      streams: { name: string; stored: number }[]
    }
    const db = new Database(study, { readonly: true })
    try {
      const session = db
        .prepare('SELECT recording_state FROM session WHERE id = ?')
        .get(summary.sessionId) as {
        recording_state: string
      }
      expect(session.recording_state).toBe('complete')
      const counts = db.prepare('SELECT name, sample_count FROM stream').all() as {
        name: string
        sample_count: number
      }[]
      for (const stream of summary.streams)
        expect(counts.find((row) => row.name === stream.name)!.sample_count).toBe(stream.stored)
    } finally {
      db.close()
    }
  })

  it('refuses an unknown participant and a bad flag, naming them', () => {
    const study = studyWithParticipant()
    const run = (args: string[]) => {
      try {
        cli(args)
        return ''
      } catch (error) {
        return String((error as { stderr: string }).stderr)
      }
    }
    expect(
      run(['record', '--study', study, '--participant', 'P99', '--protocol', 'simulator', '--duration', '1'])
    ).toMatch(/--participant: no participant "P99".*P01/)
    expect(
      run([
        'record',
        '--study',
        study,
        '--participant',
        'P01',
        '--protocol',
        'bitalino',
        '--device',
        '/dev/null',
        '--rate',
        '50'
      ])
    ).toMatch(/--rate/)
    expect(
      run([
        'record',
        '--study',
        study,
        '--participant',
        'P01',
        '--protocol',
        'bitalino',
        '--device',
        '/dev/emoheal-none'
      ])
    ).toMatch(/\/dev\/emoheal-none: cannot open the port/)
  })
})
