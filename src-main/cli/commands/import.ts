import { ConflictError, ValidationError } from '../../errors'
import type { ImportReport } from '../../datasets/import-report'
import { importDataset, type ImportRequest } from '../../datasets/import-service'
import { numberOption, requireString, stringOption, type CliCommand, type CliInput } from '../command'
import { withStudy } from '../study-option'

function onePath(input: CliInput, what: string): string {
  if (input.positionals.length !== 1) throw new ValidationError(`give exactly one ${what}`, 'path')
  return input.positionals[0]
}

async function runImport(input: CliInput, request: ImportRequest): Promise<ImportReport> {
  try {
    return await withStudy(input, true, (study) => importDataset(study, request, input.progress))
  } catch (error) {
    if (error instanceof ConflictError && error.field === 'contentHash') {
      throw new ConflictError(`${error.message} (--replace)`, error.field)
    }
    throw error
  }
}

/** A few lines a person reads: totals, then each participant's problems. */
export function formatImportReport(result: unknown): string {
  const report = result as ImportReport
  const { totals } = report
  const lines = [
    `Imported ${report.kind} from ${report.source}${report.replaced ? ' (replacing the earlier import)' : ''}: ` +
      `${totals.sessions} sessions, ${totals.streams} streams, ${totals.samples} samples, ${totals.annotations} annotations, ` +
      `${totals.markers} markers in ${report.seconds ?? '?'} s`
  ]
  for (const problem of report.problems) lines.push(`  ! ${problem}`)
  if (report.participantsFound && report.participantsFound.length > 1)
    lines.push(`  participants in the source: ${report.participantsFound.join(', ')}`)
  for (const participant of report.participants) {
    const streams = participant.streams
      .map(
        (s) =>
          `${s.name} ${s.samples} @${s.measuredHz}${s.nominalHz > 0 && s.nominalHz !== s.measuredHz ? ` (nominal ${+s.nominalHz.toFixed(4)})` : ''} Hz`
      )
      .join(', ')
    const session = participant.sessionName ? ` ${participant.sessionName}` : ''
    lines.push(`  participant ${participant.participant}${session}: ${streams || 'no streams'}`)
    const files = participant.files
    if (files) {
      const empty = files.emptyStreams.map((e) => `${e.name} (${e.files} of ${files.count})`).join(', ')
      lines.push(
        `    ${files.count} files ${files.first} .. ${files.last}, schema ${files.schemaVersions.join(', ')}; ` +
          `${files.gaps.length} gaps${files.gaps.length > 0 ? ` (longest ${Math.max(...files.gaps.map((g) => g.seconds))} s)` : ''}, ` +
          `largest overlap ${files.largestOverlapS} s (${files.overlapSamplesDropped} repeated samples left out)` +
          (empty ? `; empty streams skipped: ${empty}` : '')
      )
    }
    for (const problem of participant.problems) lines.push(`    ! ${problem}`)
  }
  return lines.join('\n')
}

const replaceOption = { replace: { type: 'boolean' } } as const

export const importKemoconCommand: CliCommand = {
  path: ['import', 'kemocon'],
  summary: 'Import a K-EmoCon copy (E4 signals, annotations, debate times) into the study',
  usage: 'import kemocon DIR --study FILE [--replace] [--json]',
  options: replaceOption,
  positionals: true,
  run: (input) =>
    runImport(input, {
      kind: 'kemocon',
      path: onePath(input, 'K-EmoCon folder'),
      replace: input.values.replace === true
    }),
  format: formatImportReport
}

export const importE4Command: CliCommand = {
  path: ['import', 'e4'],
  summary: 'Import E4 Connect sessions (a session folder or zip, or a folder of them) for one participant',
  usage: 'import e4 DIR|ZIP --participant ID --study FILE [--replace] [--json]',
  options: { ...replaceOption, participant: { type: 'string' } },
  positionals: true,
  run: (input) =>
    runImport(input, {
      kind: 'e4',
      path: onePath(input, 'E4 Connect folder or zip'),
      participant: requireString(input.values, 'participant'),
      replace: input.values.replace === true
    }),
  format: formatImportReport
}

export const importEmbracePlusCommand: CliCommand = {
  path: ['import', 'embraceplus'],
  summary:
    'Import EmbracePlus raw data (Avro) and per-minute biomarkers from an Empatica bucket download, for one participant',
  usage:
    'import embraceplus DIR --participant ID --study FILE [--from DATE] [--to DATE] [--one-session] [--max-gap SECONDS] [--replace] [--json]',
  options: {
    ...replaceOption,
    participant: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'one-session': { type: 'boolean' },
    'max-gap': { type: 'string' }
  },
  positionals: true,
  run: (input) => {
    const maxGapS = numberOption(input.values, 'max-gap')
    if (maxGapS !== undefined && !(maxGapS >= 1))
      throw new ValidationError('--max-gap must be at least 1 (seconds)', 'max-gap')
    return runImport(input, {
      kind: 'embraceplus',
      path: onePath(input, 'EmbracePlus folder or .avro file'),
      participant: requireString(input.values, 'participant'),
      from: stringOption(input.values, 'from'),
      to: stringOption(input.values, 'to'),
      oneSession: input.values['one-session'] === true,
      maxGapS,
      replace: input.values.replace === true
    })
  },
  format: formatImportReport
}

export const importCsvCommand: CliCommand = {
  path: ['import', 'csv'],
  summary: 'Import one stream from a lab-made CSV, mapped by a time column or a fixed rate',
  usage:
    'import csv FILE --participant ID --stream NAME --columns a,b (--time-column NAME | --rate HZ --start MS) ' +
    '[--unit U] [--time-unit s|ms|auto] [--study FILE] [--replace] [--json]',
  options: {
    ...replaceOption,
    participant: { type: 'string' },
    stream: { type: 'string' },
    columns: { type: 'string' },
    unit: { type: 'string' },
    rate: { type: 'string' },
    start: { type: 'string' },
    'time-column': { type: 'string' },
    'time-unit': { type: 'string' },
    session: { type: 'string' }
  },
  positionals: true,
  run: (input) => {
    const timeUnit = stringOption(input.values, 'time-unit') ?? 'auto'
    if (!['s', 'ms', 'auto'].includes(timeUnit))
      throw new ValidationError('--time-unit must be s, ms or auto', 'time-unit')
    const start = stringOption(input.values, 'start')
    const startMs =
      start === undefined ? undefined : Number.isFinite(Number(start)) ? Number(start) : Date.parse(start)
    if (startMs !== undefined && !Number.isFinite(startMs))
      throw new ValidationError(`--start: not a time: "${start}"`, 'start')
    return runImport(input, {
      kind: 'csv',
      path: onePath(input, 'CSV file'),
      replace: input.values.replace === true,
      mapping: {
        participant: requireString(input.values, 'participant'),
        stream: requireString(input.values, 'stream'),
        columns: requireString(input.values, 'columns')
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
        unit: stringOption(input.values, 'unit') ?? '',
        timeColumn: stringOption(input.values, 'time-column'),
        rateHz: numberOption(input.values, 'rate'),
        startMs,
        timeUnit: timeUnit as 's' | 'ms' | 'auto',
        sessionName: stringOption(input.values, 'session')
      }
    })
  },
  format: formatImportReport
}
