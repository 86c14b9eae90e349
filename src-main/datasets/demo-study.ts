import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConflictError } from '../errors'
import { StudyStore } from '../store/study-store'
import type { ImportReport } from './import-report'
import { importDataset } from './import-service'
import { synthesizeKemocon } from './synth/synthesize'

export interface DemoStudyOptions {
  participants?: number
  /** Debate minutes per pair. */
  minutes?: number
  seed?: number
  name?: string
  /** better-sqlite3 build for this runtime (Electron). */
  nativeBinding?: string
}

export const DEMO_STUDY_NAME = 'Demo study (synthetic K-EmoCon)'

/**
 * A small synthetic study for a first start, so that a new user sees data at once: a few participants
 * of a short debate, made by the generator and imported like any K-EmoCon copy.
 */
export function createDemoStudy(
  path: string,
  options: DemoStudyOptions = {}
): { path: string; report: ImportReport } {
  if (existsSync(path) && statSync(path).size > 0)
    throw new ConflictError(`${path} already exists: the demo study goes into a new file`, 'path')
  const folder = mkdtempSync(join(tmpdir(), 'emoheal-demo-'))
  try {
    synthesizeKemocon({
      out: folder,
      participants: options.participants ?? 4,
      minutes: options.minutes ?? 3,
      seed: options.seed ?? 2020,
      leadMinutes: 1,
      tailMinutes: 0.5
    })
    const study = new StudyStore(path, {
      create: true,
      name: options.name ?? DEMO_STUDY_NAME,
      nativeBinding: options.nativeBinding
    })
    try {
      study.updateInfo(
        options.name ?? DEMO_STUDY_NAME,
        'Made by the synthetic generator: signals and ratings follow a planted arousal/valence trajectory. Not real data.'
      )
      return { path, report: importDataset(study, { kind: 'kemocon', path: folder }) }
    } finally {
      study.close()
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}
