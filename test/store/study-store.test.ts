import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConflictError, NotFoundError } from '../../src-main/errors'
import { SignalStore } from '../../src-main/store/signal-store'
import { StudyStore } from '../../src-main/store/study-store'
import { tempDir } from '../e2e/harness'

function newStudy(): StudyStore {
  return new StudyStore(join(tempDir('emoheal-crud-'), 's.emoheal-study'), { create: true, name: 'CRUD' })
}

describe('participants and sessions', () => {
  it('creates, lists, updates and deletes, cascading to sessions and streams', () => {
    const study = newStudy()
    const p1 = study.createParticipant({ code: 'P02', notes: '' })
    const p2 = study.createParticipant({ code: 'p01', notes: 'first' })
    expect(study.listParticipants().map((p) => p.code)).toEqual(['p01', 'P02'])
    const session = study.createSession({
      participantId: p1.id,
      name: 'Debate',
      startMs: 1_700_000_000_000,
      timezone: 'Asia/Seoul',
      durationMs: 600_000,
      notes: ''
    })
    expect(study.getParticipant(p1.id).sessionCount).toBe(1)

    const updated = study.updateSession({ ...session, participantId: p2.id, name: 'Debate A' })
    expect(updated).toMatchObject({
      participantId: p2.id,
      participantCode: 'p01',
      name: 'Debate A',
      timezone: 'Asia/Seoul'
    })
    expect(study.updateParticipant({ id: p1.id, code: 'P03', notes: 'renamed' }).code).toBe('P03')

    const signals = new SignalStore(study.db)
    const stream = signals.createStream(session.id, { name: 'eda', unit: 'uS', rateHz: 4, channels: ['eda'] })
    signals.append(stream.id, {
      times: new Float64Array([0, 250, 500]),
      samples: new Float32Array([1, 2, 3]),
      channelCount: 1
    })
    expect(study.getSession(session.id).streams[0]).toMatchObject({
      name: 'eda',
      sampleCount: 3,
      startMs: 0,
      endMs: 500
    })

    study.deleteParticipant(p2.id)
    expect(study.listSessions()).toEqual([])
    expect(study.db.prepare('SELECT count(*) AS n FROM chunk').get()).toEqual({ n: 0 })
    study.close()
  })

  it('refuses duplicate codes and unknown ids with errors that name the field', () => {
    const study = newStudy()
    study.createParticipant({ code: 'P01', notes: '' })
    expect(() => study.createParticipant({ code: 'P01', notes: '' })).toThrow(ConflictError)
    try {
      study.getSession(99)
    } catch (error) {
      expect(error).toBeInstanceOf(NotFoundError)
      expect((error as NotFoundError).field).toBe('id')
    }
    expect(() =>
      study.createSession({
        participantId: 42,
        name: 'x',
        startMs: 0,
        timezone: 'UTC',
        durationMs: null,
        notes: ''
      })
    ).toThrow('participant 42 does not exist')
    study.close()
  })

  it('reads back signal chunks exactly, across chunk boundaries and time ranges', () => {
    const study = newStudy()
    const p = study.createParticipant({ code: 'P', notes: '' })
    const s = study.createSession({
      participantId: p.id,
      name: 'S',
      startMs: 0,
      timezone: 'UTC',
      durationMs: null,
      notes: ''
    })
    const signals = new SignalStore(study.db)
    const acc = signals.createStream(s.id, {
      name: 'acc',
      unit: '1/64 g',
      rateHz: 32,
      channels: ['x', 'y', 'z']
    })
    const n = 20_000
    const times = Float64Array.from({ length: n }, (_, i) => 1_600_000_000_000 + i * 31.25)
    const samples = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i) * 64)
    signals.append(acc.id, { times, samples, channelCount: 3 })
    const all = signals.read(acc.id)
    expect(all.times).toEqual(times)
    expect(all.samples).toEqual(samples)
    const from = times[9000]
    const to = times[12000]
    const part = signals.read(acc.id, from, to)
    expect(part.times.length).toBe(3000)
    expect(part.samples.subarray(0, 3)).toEqual(samples.subarray(27000, 27003))
    study.close()
  })
})

describe('two processes on one study', () => {
  it('lets the app and a CLI-like writer work on the same file at once without corruption', async () => {
    const path = join(tempDir('emoheal-wal-'), 'shared.emoheal-study')
    const study = new StudyStore(path, { create: true })
    // A second process writes participants while this one writes too; WAL and the busy timeout serialise them.
    const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(path)});
      db.pragma('busy_timeout = 10000');
      for (let i = 0; i < 200; i++) db.prepare("INSERT INTO participant (code, created_ms) VALUES (?, 0)").run('child' + i);
      db.close();
    `
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    for (let i = 0; i < 200; i++) {
      study.createParticipant({ code: `main${i}`, notes: '' })
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(await exited, stderr).toBe(0)
    expect(study.listParticipants()).toHaveLength(400)
    study.close()
    const check = new Database(path)
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
    check.close()
  })
})

describe('training runs left behind', () => {
  it('marks runs of a process that is gone as failed when the study opens, and leaves a live process’s run alone', async () => {
    const { AppContext } = await import('../../src-main/app-context')
    const { ModelStore } = await import('../../src-main/store/model-store')
    const { hostname } = await import('node:os')
    const path = join(tempDir('emoheal-runs-'), 'runs.emoheal-study')
    const study = new StudyStore(path, { create: true })
    const gone = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => gone.on('exit', resolve))
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    const insert = study.db.prepare(
      "INSERT INTO training_run (status, config, started_ms, owner_pid, owner_host) VALUES ('running', '{}', 0, ?, ?)"
    )
    const crashed = Number(insert.run(gone.pid, hostname()).lastInsertRowid)
    const live = Number(insert.run(alive.pid, hostname()).lastInsertRowid)
    study.close()
    try {
      const context = new AppContext({ defaultStudyPath: path, transport: 'cli', version: 'test' })
      const reopened = context.openStudy(path)
      const runs = new ModelStore(reopened.db)
      expect(runs.getRun(crashed)).toMatchObject({
        status: 'failed',
        error: 'the process that ran it ended before it finished'
      })
      expect(runs.getRun(live)).toMatchObject({ status: 'running' })
      context.close()
    } finally {
      alive.kill()
    }
  })
})
