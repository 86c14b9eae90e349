import { exportKemocon, type KemoconExportSummary } from '../../export/kemocon-export'
import { exportSessionCsv, type SessionCsvSummary } from '../../export/session-csv'
import { exportSessionEdf, type EdfExportSummary, type EdfFormat } from '../../export/edf'
import { integerOption, requireString, type CliCommand } from '../command'
import { withStudy } from '../study-option'
import { ValidationError } from '../../errors'

export const exportKemoconCommand: CliCommand = {
  path: ['export', 'kemocon'],
  summary: 'Write the study in the K-EmoCon layout (one session per participant)',
  usage: 'export kemocon --study FILE --out DIR [--json]',
  options: { out: { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) => exportKemocon(study, requireString(input.values, 'out'))),
  format: (result) => {
    const summary = result as KemoconExportSummary
    const lines = [
      `Exported ${summary.participants.length} participants (${summary.files} files) to ${summary.out}`
    ]
    for (const reason of summary.skipped) lines.push(`  skipped: ${reason}`)
    return lines.join('\n')
  }
}

export const exportCsvCommand: CliCommand = {
  path: ['export', 'csv'],
  summary:
    'Write one session (recorded or imported) as CSV: one file per stream in physical units, markers, gaps',
  usage: 'export csv --study FILE --session ID --out DIR [--json]',
  options: { session: { type: 'string' }, out: { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) => {
      const session = integerOption(input.values, 'session')
      if (session === undefined) throw new ValidationError('--session is required', 'session')
      return exportSessionCsv(study, session, requireString(input.values, 'out'))
    }),
  format: (result) => {
    const summary = result as SessionCsvSummary
    return [
      `Exported session ${summary.sessionId} to ${summary.out}`,
      ...summary.files.map((file) => `  ${file.file}: ${file.samples} samples (${file.unit || 'no unit'})`)
    ].join('\n')
  }
}

function exportEdfCommandOf(format: EdfFormat): CliCommand {
  const name = format.toUpperCase()
  return {
    path: ['export', format],
    summary: `Write one session as ${name}+ (${format === 'edf' ? '16' : '24'}-bit): one signal per channel, markers, annotations and gaps as annotations`,
    usage: `export ${format} --study FILE --session ID --out FILE.${format} [--json]`,
    options: { session: { type: 'string' }, out: { type: 'string' } },
    run: (input) =>
      withStudy(input, false, (study) => {
        const session = integerOption(input.values, 'session')
        if (session === undefined) throw new ValidationError('--session is required', 'session')
        return exportSessionEdf(study, session, requireString(input.values, 'out'), { format })
      }),
    format: (result) => {
      const summary = result as EdfExportSummary
      const annotations = summary.annotations
      return [
        `Exported session ${summary.sessionId} to ${summary.out} (${summary.fileType}, ${summary.records} records of ${summary.recordDurationS} s${summary.omittedRecords ? `, ${summary.omittedRecords} empty records left out` : ''})`,
        ...summary.signals.map(
          (signal) =>
            `  ${signal.label}: ${signal.samples} samples at ${signal.rateHz} Hz (${signal.unit || 'no unit'}, ${signal.physicalMin}..${signal.physicalMax})`
        ),
        `  annotations: ${annotations.markers} markers, ${annotations.annotations} annotations, ${annotations.gaps} gaps, ${annotations.events} events`
      ].join('\n')
    }
  }
}

export const exportEdfCommand = exportEdfCommandOf('edf')
export const exportBdfCommand = exportEdfCommandOf('bdf')
