import Database from 'better-sqlite3'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StudyFileError } from '../../src-main/errors'
import { LATEST_SCHEMA_VERSION, migrations, STUDY_APPLICATION_ID } from '../../src-main/store/migrations'
import { migrate, openStudyFile } from '../../src-main/store/study-file'
import { StudyStore } from '../../src-main/store/study-store'
import { tempDir } from '../e2e/harness'

function tables(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string
    }[]
  ).map((r) => r.name)
}

/** A study file frozen at an older schema version, as an earlier release would have left it. */
function studyAtVersion(path: string, version: number): void {
  const db = new Database(path)
  migrate(db, 0, 'Old study', version)
  db.close()
}

describe('study file', () => {
  it('creates a new file at the latest schema with WAL, foreign keys and our application id', () => {
    const path = join(tempDir('emoheal-store-'), 'new.emoheal-study')
    const db = openStudyFile(path, { create: true, name: 'Pilot' })
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
    expect(db.pragma('application_id', { simple: true })).toBe(STUDY_APPLICATION_ID)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(tables(db)).toEqual(
      expect.arrayContaining([
        'study',
        'participant',
        'session',
        'stream',
        'chunk',
        'annotation',
        'label_revision',
        'model',
        'training_run'
      ])
    )
    expect(db.prepare('SELECT name FROM study').get()).toEqual({ name: 'Pilot' })
    db.close()
  })

  it.each(migrations.slice(0, -1).map((m) => m.version))(
    'migrates a study from schema %i and keeps its data',
    (version) => {
      const path = join(tempDir('emoheal-store-'), `v${version}.emoheal-study`)
      studyAtVersion(path, version)
      const old = new Database(path)
      old.prepare("INSERT INTO participant (code, created_ms) VALUES ('P01', 1)").run()
      old
        .prepare(
          "INSERT INTO session (participant_id, name, start_ms, timezone, created_ms) VALUES (1, 'S', 1000, 'UTC', 1)"
        )
        .run()
      old.close()

      const study = new StudyStore(path)
      expect(study.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
      const [session] = study.listSessions()
      expect(session).toMatchObject({
        name: 'S',
        participantCode: 'P01',
        startMs: 1000,
        alignmentOffsetMs: 0
      })
      study.close()
    }
  )

  it('refuses a study from a newer schema without touching it', () => {
    const path = join(tempDir('emoheal-store-'), 'future.emoheal-study')
    openStudyFile(path, { create: true }).close()
    const db = new Database(path)
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`)
    db.close()
    const before = readFileSync(path)
    expect(() => openStudyFile(path)).toThrow(
      `newer version of EmoHeal Workstation (schema ${LATEST_SCHEMA_VERSION + 1}; this version reads up to ${LATEST_SCHEMA_VERSION})`
    )
    expect(readFileSync(path).equals(before)).toBe(true)
  })

  it('refuses a file that is not SQLite, naming the file', () => {
    const path = join(tempDir('emoheal-store-'), 'notes.txt')
    writeFileSync(path, 'participant,arousal\n1,3\n')
    expect(() => openStudyFile(path)).toThrow(StudyFileError)
    expect(() => openStudyFile(path)).toThrow(`${path}: not a study file (not an SQLite database)`)
    expect(readFileSync(path, 'utf8')).toBe('participant,arousal\n1,3\n')
  })

  it('refuses an SQLite database of another application and leaves it as it was', () => {
    const path = join(tempDir('emoheal-store-'), 'other.sqlite')
    const other = new Database(path)
    other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)')
    other.close()
    expect(() => openStudyFile(path)).toThrow('an SQLite database of another application')
    const check = new Database(path)
    expect(tables(check)).toEqual(['notes'])
    expect(check.pragma('user_version', { simple: true })).toBe(0)
    check.close()
  })

  it('reports a corrupt study file as corrupt', () => {
    const path = join(tempDir('emoheal-store-'), 'corrupt.emoheal-study')
    const study = new StudyStore(path, { create: true })
    for (let i = 0; i < 200; i++) study.createParticipant({ code: `P${i}`, notes: 'x'.repeat(200) })
    study.db.pragma('wal_checkpoint(TRUNCATE)')
    study.close()
    const bytes = readFileSync(path)
    // Keep the header, wreck the b-tree pages behind it.
    for (let i = 4096 + 100; i < bytes.length; i += 7) bytes[i] = 0xa5
    writeFileSync(path, bytes)
    expect(() => openStudyFile(path)).toThrow(/corrupt/)
  })

  it('says when there is no study file instead of creating one unasked', () => {
    const path = join(tempDir('emoheal-store-'), 'missing.emoheal-study')
    expect(() => openStudyFile(path)).toThrow(`${path}: no study file there (create one first)`)
  })
})
