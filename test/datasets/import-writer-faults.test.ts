import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { planImport, importDataset } from '../../src-main/datasets/import-service'
import { StudyFileError, ValidationError } from '../../src-main/errors'
import { writeImport, type ImportPlan } from '../../src-main/store/import-writer'
import { StudyStore } from '../../src-main/store/study-store'
import { dumpStudy, FIXTURES, newStudy, rowCount } from './study-helpers'

const QUIRKS = join(FIXTURES, 'kemocon-quirks')
const REAL_ZIP = join(__dirname, '../../../shared/real-data/e4_A00204.zip')

function integrity(study: StudyStore): string {
  return study.db.pragma('integrity_check', { simple: true }) as string
}

/** A study that holds an import already, so that "unchanged" means something. */
function studyWithData(): StudyStore {
  const study = newStudy()
  importDataset(study, { kind: 'e4', path: join(FIXTURES, 'e4-connect'), participant: 'base' })
  return study
}

describe('an import that fails inside its transaction leaves the study as it was', () => {
  const plan = planImport({ kind: 'kemocon', path: QUIRKS })
  const streams = plan.sessions.reduce((n, session) => n + session.streams.length, 0)

  it('for a fault after each of its streams in turn', () => {
    expect(streams).toBeGreaterThan(5)
    const study = studyWithData()
    const before = dumpStudy(study)
    for (let failAfter = 1; failAfter <= streams; failAfter++) {
      const fault = new Error(`injected fault after ${failAfter} of ${streams} streams`)
      expect(() =>
        writeImport(study, plan, {
          onProgress: (written) => {
            if (written.streamsWritten === failAfter) throw fault
          }
        })
      ).toThrow(fault)
      expect(study.db.inTransaction).toBe(false)
      expect(dumpStudy(study), `after a fault at stream ${failAfter}`).toBe(before)
      expect(integrity(study)).toBe('ok')
    }
    // And the same import, without the fault, goes in whole.
    writeImport(study, plan)
    expect(rowCount(study, 'session')).toBe(2 + plan.sessions.length)
    study.close()
  })

  it('keeps the import it was replacing when the replacement fails halfway', () => {
    const study = studyWithData()
    writeImport(study, plan)
    const before = dumpStudy(study)
    expect(() =>
      writeImport(study, plan, {
        replace: true,
        onProgress: (written) => {
          // Past the delete of the old sessions and a few streams into the new ones.
          if (written.streamsWritten === 3) throw new Error('injected fault while replacing')
        }
      })
    ).toThrow('injected fault while replacing')
    expect(dumpStudy(study)).toBe(before)
    expect(integrity(study)).toBe('ok')
    study.close()
  })

  it('refuses a plan with a NaN sample or a time past 2100 before writing a row', () => {
    const study = studyWithData()
    const before = dumpStudy(study)
    const broken = (edit: (p: ImportPlan) => void): ImportPlan => {
      const copy = planImport({ kind: 'kemocon', path: QUIRKS })
      edit(copy)
      return copy
    }
    const nan = broken((p) => (p.sessions[0].streams[1].samples[2] = NaN))
    const late = broken((p) => p.sessions[1].markers.push({ timeMs: 5e12, label: 'late', source: 'test' }))
    for (const [bad, message] of [
      [nan, `${QUIRKS}: session "K-EmoCon P1", stream "eda": sample value 2 is NaN; nothing was written`],
      [late, `${QUIRKS}: session "K-EmoCon P2": marker "late" at 5000000000000; nothing was written`]
    ] as const) {
      let thrown: unknown
      try {
        writeImport(study, bad)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(ValidationError)
      expect([(thrown as ValidationError).field, (thrown as Error).message]).toEqual(['plan', message])
    }
    expect(dumpStudy(study)).toBe(before)
    study.close()
  })

  it('reports its progress stream by stream', () => {
    const study = newStudy()
    const lines: string[] = []
    importDataset(study, { kind: 'kemocon', path: QUIRKS }, (line) => lines.push(line))
    const written = lines.filter((line) => line.startsWith('written '))
    expect(written.length).toBe(streams)
    expect(written.at(-1)).toMatch(
      new RegExp(`^written ${streams} of ${streams} streams \\(\\d+ of \\d+ samples\\)$`)
    )
    study.close()
  })
})

// A small tmpfs is a disk that really fills up; mounting needs root (CAP_SYS_ADMIN), so elsewhere it is skipped.
const mountPoint = mkdtempSync(join(tmpdir(), 'emoheal-full-disk-'))
let mounted = false
let skipReason = ''
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' })
  mounted = true
} catch (error) {
  skipReason = `cannot mount a tmpfs (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()})`
  console.log(`skipped: the full-disk import test: ${skipReason}`)
}
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint])
  rmdirSync(mountPoint)
})

describe('an import that fills the disk', () => {
  it.skipIf(!mounted)(
    'rolls back with a clear error, the study unchanged and sound, and succeeds once there is room',
    () => {
      const path = join(mountPoint, 'study.emoheal-study')
      let study = new StudyStore(path, { create: true, name: 'full disk' })
      importDataset(study, { kind: 'e4', path: join(FIXTURES, 'e4-connect'), participant: 'base' })
      const before = dumpStudy(study)
      // The real export is about 5 MB of samples: far more than the 1 MiB disk holds.
      let thrown: unknown
      try {
        importDataset(study, { kind: 'e4', path: REAL_ZIP, participant: 'A00204' })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(StudyFileError)
      expect((thrown as Error).message).toBe(
        `${path}: the disk is full (SQLITE_FULL) while importing ${REAL_ZIP}; the import was rolled back and the study is as it was`
      )
      expect(dumpStudy(study)).toBe(before)
      expect(integrity(study)).toBe('ok')
      // What is on the disk, not only what this connection sees.
      study.close()
      study = new StudyStore(path)
      expect(dumpStudy(study)).toBe(before)
      expect(integrity(study)).toBe('ok')
      execFileSync('mount', ['-o', 'remount,size=64m', mountPoint])
      const report = importDataset(study, { kind: 'e4', path: REAL_ZIP, participant: 'A00204' })
      expect(report.totals.samples).toBe(215_732 + 13_482 + 13_480 + 107_868 + 3_361 + 2_258)
      expect(integrity(study)).toBe('ok')
      study.close()
    }
  )
})
