import Database from 'better-sqlite3'
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { StudyFileError } from '../errors'
import { LATEST_SCHEMA_VERSION, migrations, STUDY_APPLICATION_ID } from './migrations'

export type Db = Database.Database

const SQLITE_HEADER = 'SQLite format 3\u0000'

export interface OpenStudyOptions {
  /** Create the file when it does not exist (or is empty). */
  create?: boolean
  /** Study name for a new file. */
  name?: string
  readonly?: boolean
  /** Path of a better-sqlite3 native build for this runtime (Electron needs its own ABI). */
  nativeBinding?: string
}

function readHeader(path: string): string {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(16)
    const read = readSync(fd, buffer, 0, 16, 0)
    return buffer.subarray(0, read).toString('latin1')
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens a study file, refusing anything that is not one: a non-SQLite file, a SQLite file of another
 * application, a corrupt file or a newer schema each get their own message, and none is written to.
 * Older schemas are migrated in one transaction, so a failed migration leaves the file as it was.
 */
export function openStudyFile(path: string, options: OpenStudyOptions = {}): Db {
  const exists = existsSync(path) && statSync(path).size > 0
  if (!exists && !options.create)
    throw new StudyFileError(`${path}: no study file there (create one first)`, 'study')
  if (exists && readHeader(path) !== SQLITE_HEADER) {
    throw new StudyFileError(`${path}: not a study file (not an SQLite database)`, 'study')
  }
  let db: Db
  try {
    db = new Database(path, { readonly: options.readonly ?? false, nativeBinding: options.nativeBinding })
  } catch (error) {
    throw new StudyFileError(`${path}: cannot open: ${(error as Error).message}`, 'study')
  }
  try {
    db.pragma('busy_timeout = 10000')
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok')
      throw new StudyFileError(`${path}: the study file is corrupt (${String(check)})`, 'study')
    const applicationId = db.pragma('application_id', { simple: true }) as number
    const version = db.pragma('user_version', { simple: true }) as number
    const tableCount = (
      db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }
    ).n
    if (applicationId !== STUDY_APPLICATION_ID && (applicationId !== 0 || tableCount > 0)) {
      throw new StudyFileError(
        `${path}: not a study file (an SQLite database of another application)`,
        'study'
      )
    }
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StudyFileError(
        `${path}: the study was written by a newer version of EmoHeal Workstation (schema ${version}; this version reads up to ${LATEST_SCHEMA_VERSION})`,
        'study'
      )
    }
    if (!options.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
    }
    db.pragma('foreign_keys = ON')
    if (version < LATEST_SCHEMA_VERSION) {
      if (options.readonly)
        throw new StudyFileError(`${path}: schema ${version} needs a migration; open it writable`, 'study')
      migrate(db, version, options.name ?? 'Untitled study')
    }
    return db
  } catch (error) {
    db.close()
    if (error instanceof StudyFileError) throw error
    const message = (error as Error).message
    if (/malformed|not a database|corrupt/i.test(message)) {
      throw new StudyFileError(`${path}: the study file is corrupt (${message})`, 'study')
    }
    throw error
  }
}

/** Runs every migration after `from` in one transaction, up to `to` (the latest by default). */
export function migrate(db: Db, from: number, studyName: string, to = LATEST_SCHEMA_VERSION): void {
  const pending = migrations.filter((m) => m.version > from && m.version <= to)
  db.transaction(() => {
    for (const migration of pending) db.exec(migration.sql)
    if (from === 0) {
      db.prepare('INSERT INTO study (id, name, created_ms) VALUES (1, ?, ?)').run(studyName, Date.now())
      db.pragma(`application_id = ${STUDY_APPLICATION_ID}`)
    }
    db.pragma(`user_version = ${to}`)
  }).immediate()
}
