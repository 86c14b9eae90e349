import { ValidationError } from '../errors'
import { writeImport, type ImportPlan } from '../store/import-writer'
import type { StudyStore } from '../store/study-store'
import { planE4Import } from './e4/e4-importer'
import { planEmbracePlusImport, type EmbracePlusOptions } from './embraceplus/embraceplus-importer'
import { planCsvImport, type CsvMapping } from './generic-csv'
import type { ImportReport } from './import-report'
import { planKemoconImport } from './kemocon/kemocon-importer'

export type ImportRequest =
  | { kind: 'kemocon'; path: string; replace?: boolean }
  | { kind: 'e4'; path: string; participant: string; replace?: boolean }
  | { kind: 'csv'; path: string; mapping: CsvMapping; replace?: boolean }
  | ({ kind: 'embraceplus'; path: string; replace?: boolean } & EmbracePlusOptions)

export function planImport(
  request: ImportRequest,
  progress?: (line: string) => void
): ImportPlan & { report: ImportReport } {
  switch (request.kind) {
    case 'kemocon':
      return planKemoconImport(request.path, progress)
    case 'e4':
      return planE4Import(request.path, request.participant)
    case 'csv':
      return planCsvImport(request.path, request.mapping)
    case 'embraceplus':
      return planEmbracePlusImport(request.path, request, progress)
    default:
      throw new ValidationError(`unknown import kind "${(request as { kind: string }).kind}"`, 'kind')
  }
}

/**
 * Reads and checks everything first, then writes it in one transaction: a failure anywhere leaves the
 * study as it was. Returns the report with the import's id.
 */
export function importDataset(
  study: StudyStore,
  request: ImportRequest,
  progress?: (line: string) => void
): ImportReport {
  const started = performance.now()
  const plan = planImport(request, progress)
  progress?.(`writing ${plan.report.totals.samples} samples`)
  const outcome = writeImport(study, plan, {
    replace: request.replace ?? false,
    onProgress: progress
      ? (written) =>
          progress(
            `written ${written.streamsWritten} of ${written.streams} streams (${written.samplesWritten} of ${written.samples} samples)`
          )
      : undefined
  })
  return {
    ...plan.report,
    importId: outcome.importId,
    replaced: outcome.replaced,
    seconds: Math.round(performance.now() - started) / 1000
  }
}
