import { defaultStudyPath } from '../paths'
import { recoverAbandonedWork } from '../store/recovery'
import { StudyStore } from '../store/study-store'
import { stringOption, type CliInput } from './command'

export function studyPathOf(input: CliInput): string {
  return stringOption(input.values, 'study') ?? defaultStudyPath()
}

/** Opens --study FILE (or the default study); `create` makes the file when it is missing. */
export function openStudyFromArgs(input: CliInput, create = false): StudyStore {
  const path = studyPathOf(input)
  const study = new StudyStore(path, { create })
  try {
    recoverAbandonedWork(study.db)
  } catch (error) {
    study.close()
    throw error
  }
  return study
}

/** Runs `body` with the study open and always closes it, so WAL is checkpointed on exit. */
export async function withStudy<T>(
  input: CliInput,
  create: boolean,
  body: (study: StudyStore) => Promise<T> | T
): Promise<T> {
  const study = openStudyFromArgs(input, create)
  try {
    return await body(study)
  } finally {
    study.close()
  }
}
