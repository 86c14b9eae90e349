import { ValidationError } from '../../errors'
import { exportFeatures, type FeatureExport } from '../../export/features-export'
import { integerOption, numberOption, requireString, type CliCommand } from '../command'
import { withStudy } from '../study-option'

export const featuresCommand: CliCommand = {
  path: ['features'],
  summary:
    "a session's label windows (or, with --window-s, a regular grid) with their physiological features (EDA tonic and SCRs, HR and HRV, TEMP, ACC) as CSV",
  usage: 'features --study FILE --session ID --out FILE.csv [--window-s SECONDS] [--json]',
  options: { session: { type: 'string' }, out: { type: 'string' }, 'window-s': { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) => {
      const session = integerOption(input.values, 'session')
      if (session === undefined) throw new ValidationError('--session is required', 'session')
      return exportFeatures(
        study,
        study.getSession(session).id,
        requireString(input.values, 'out'),
        numberOption(input.values, 'window-s')
      )
    }),
  format: (result) => {
    const summary = result as FeatureExport
    const empty = Object.entries(summary.present)
      .filter(([, count]) => count < summary.rowCount)
      .map(([column, count]) => `${column} ${count}/${summary.rowCount}`)
    return [
      `${summary.rowCount} windows of session ${summary.sessionId} written to ${summary.path}`,
      ...(empty.length ? [`  features present in fewer windows: ${empty.join(', ')}`] : []),
      ...summary.notes.map((note) => `  note: ${note}`)
    ].join('\n')
  }
}
