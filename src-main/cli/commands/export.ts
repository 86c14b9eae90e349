import { exportKemocon, type KemoconExportSummary } from '../../export/kemocon-export'
import { requireString, type CliCommand } from '../command'
import { withStudy } from '../study-option'

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
