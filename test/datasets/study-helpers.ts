import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach } from 'vitest'
import { StudyStore } from '../../src-main/store/study-store'

export const FIXTURES = resolve(__dirname, '../fixtures')

const made: string[] = []
afterEach(() => {
  while (made.length > 0) rmSync(made.pop()!, { recursive: true, force: true })
})

/** A fresh temporary folder, removed after the test. */
export function temporaryFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'emoheal-datasets-'))
  made.push(dir)
  return dir
}

/** A copy of a fixture folder that a test may break. */
export function fixtureCopy(name: string): string {
  const dir = join(temporaryFolder(), name)
  cpSync(join(FIXTURES, name), dir, { recursive: true })
  return dir
}

export function newStudy(dir = temporaryFolder()): StudyStore {
  return new StudyStore(join(dir, 'study.emoheal'), { create: true, name: 'test' })
}

/** Every row of every table (blobs as hex), to show that a failed import changed nothing. */
export function dumpStudy(study: StudyStore): string {
  const tables = study.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[]
  const dump: Record<string, unknown[]> = {}
  for (const { name } of tables) {
    dump[name] = study.db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()
  }
  return JSON.stringify(dump, (_key, value: unknown) =>
    value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer'
      ? Buffer.from((value as { data: number[] }).data).toString('hex')
      : value
  )
}

export function rowCount(study: StudyStore, table: string): number {
  return (study.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
}
