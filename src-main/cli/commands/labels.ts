import { z } from 'zod'
import { parseOrRefuse, ValidationError } from '../../errors'
import { exportLabels } from '../../export/labels-export'
import {
  labelCalls,
  type LabelAgreement,
  type LabelExport,
  type WindowTable
} from '../../ipc/contract/labels'
import { labelAgreement } from '../../labels/label-agreement'
import { RevisionStore } from '../../labels/revision-store'
import { correctLabel, windowTable } from '../../labels/window-table'
import { numberOption, stringOption, type CliCommand, type CliInput } from '../command'
import { withStudy } from '../study-option'

/** Flags are checked by the same schemas as the IPC calls, so the CLI and the app refuse the same input. */
function parseWith<T extends z.ZodType>(
  schema: T,
  value: Record<string, unknown>,
  flags: Record<string, string>
): z.output<T> {
  return parseOrRefuse(schema, value, { shown: (field) => `--${flags[field] ?? field}` })
}

function weightsOption(
  values: CliInput['values']
): { self: number; partner: number; external: number } | undefined {
  const raw = stringOption(values, 'weights')
  if (raw === undefined) return undefined
  const parts = raw.split(',').map(Number)
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) {
    throw new ValidationError(
      `--weights must be three numbers SELF,PARTNER,EXTERNAL, got "${raw}"`,
      'weights'
    )
  }
  return { self: parts[0], partner: parts[1], external: parts[2] }
}

const choiceOptions = {
  session: { type: 'string' },
  source: { type: 'string' },
  target: { type: 'string' },
  threshold: { type: 'string' },
  weights: { type: 'string' }
} as const

const choiceFlags = { sessionId: 'session', reportEndMs: 'report-end', revisionId: 'revision' }

function choiceOf(values: CliInput['values']): Record<string, unknown> {
  return {
    sessionId: numberOption(values, 'session'),
    source: stringOption(values, 'source'),
    target: stringOption(values, 'target'),
    threshold: numberOption(values, 'threshold'),
    weights: weightsOption(values)
  }
}

const CHOICE_USAGE =
  '--session ID [--source self|partner|external|majority|weighted] [--weights S,P,E] [--target arousal|valence] [--threshold N]'

export const labelsWindowsCommand: CliCommand = {
  path: ['labels', 'windows'],
  summary: "a session's windows with each source's ratings, the training label and its class",
  usage: `labels windows --study FILE ${CHOICE_USAGE} [--json]`,
  options: choiceOptions,
  run: (input) =>
    withStudy(input, false, (study) =>
      windowTable(study, parseWith(labelCalls['labels.windows'].args, choiceOf(input.values), choiceFlags))
    ),
  format(result) {
    const table = result as WindowTable
    const lines = table.rows.map(
      (r) =>
        `${new Date(r.startMs).toISOString()}  ${r.label ?? '-'}  class ${r.labelClass ?? '-'}${r.corrected ? '  corrected' : ''}`
    )
    const b = table.balance
    return [
      ...lines,
      `${table.rows.length} windows; ${table.target} > ${table.threshold}: ${b.high} high, ${b.low} low, ${b.unlabelled} unlabelled`
    ].join('\n')
  }
}

export const labelsCorrectCommand: CliCommand = {
  path: ['labels', 'correct'],
  summary: "correct one window's label by hand; the reason is required",
  usage:
    'labels correct --study FILE --session ID --target arousal|valence --report-end MS --value 1..5|none --reason TEXT [--json]',
  options: {
    ...choiceOptions,
    'report-end': { type: 'string' },
    value: { type: 'string' },
    reason: { type: 'string' }
  },
  run: (input) =>
    withStudy(input, false, (study) => {
      const rawValue = stringOption(input.values, 'value')
      const args = parseWith(
        labelCalls['labels.correct'].args,
        {
          ...choiceOf(input.values),
          reportEndMs: numberOption(input.values, 'report-end'),
          value: rawValue === 'none' ? null : numberOption(input.values, 'value'),
          reason: stringOption(input.values, 'reason')
        },
        choiceFlags
      )
      return correctLabel(study, args)
    })
}

export const labelsRevertCommand: CliCommand = {
  path: ['labels', 'revert'],
  summary: 'revert a label correction; the reason is required',
  usage: 'labels revert --study FILE --revision ID --reason TEXT [--json]',
  options: { revision: { type: 'string' }, reason: { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) => {
      const args = parseWith(
        labelCalls['labels.revert'].args,
        { revisionId: numberOption(input.values, 'revision'), reason: stringOption(input.values, 'reason') },
        choiceFlags
      )
      return new RevisionStore(study.db).revert(args.revisionId, args.reason)
    })
}

export const labelsRevisionsCommand: CliCommand = {
  path: ['labels', 'revisions'],
  summary: "a session's label corrections, newest first",
  usage: 'labels revisions --study FILE --session ID [--json]',
  options: { session: { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) => {
      const { sessionId } = parseWith(
        labelCalls['labels.revisions'].args,
        { sessionId: numberOption(input.values, 'session') },
        choiceFlags
      )
      return new RevisionStore(study.db).list(study.getSession(sessionId).id)
    })
}

function formatAgreement(result: unknown): string {
  const agreement = result as LabelAgreement
  const show = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(3))
  const lines: string[] = []
  for (const [scope, report] of [
    ['session', agreement.session],
    ['study', agreement.study]
  ] as const) {
    if (!report) continue
    for (const target of ['arousal', 'valence'] as const) {
      const t = report[target]
      const pairs = t.pairs.map(
        (p) => `${p.first}-${p.second} kappa ${show(p.kappa)} qwk ${show(p.quadraticKappa)} (n ${p.count})`
      )
      lines.push(`${scope} ${target}: alpha ${show(t.alpha)} (${t.units} units); ${pairs.join('; ')}`)
    }
  }
  return lines.join('\n')
}

export const labelsAgreementCommand: CliCommand = {
  path: ['labels', 'agreement'],
  summary:
    "agreement of self, partner and external ratings (Cohen's kappa, quadratic kappa, Krippendorff's alpha)",
  usage: 'labels agreement --study FILE [--session ID] [--json]',
  options: { session: { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) => {
      const { sessionId } = parseWith(
        labelCalls['labels.agreement'].args,
        { sessionId: numberOption(input.values, 'session') },
        choiceFlags
      )
      return labelAgreement(study, sessionId)
    }),
  format: formatAgreement
}

export const labelsExportCommand: CliCommand = {
  path: ['labels', 'export'],
  summary: "write a session's labels as CSV: K-EmoCon's annotation layout or the windows table",
  usage: `labels export --study FILE ${CHOICE_USAGE} --format kemocon|windows --out FILE [--json]`,
  options: { ...choiceOptions, format: { type: 'string' }, out: { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) => {
      const args = parseWith(
        labelCalls['labels.export'].args,
        {
          ...choiceOf(input.values),
          format: stringOption(input.values, 'format'),
          path: stringOption(input.values, 'out')
        },
        { ...choiceFlags, path: 'out' }
      )
      if (!args.path) throw new ValidationError('--out is required', 'out')
      const { csv: _csv, ...written } = exportLabels(study, args)
      return written
    }),
  format: (result) => `${(result as LabelExport).rowCount} rows written to ${(result as LabelExport).path}`
}

export const labelCommands = [
  labelsWindowsCommand,
  labelsCorrectCommand,
  labelsRevertCommand,
  labelsRevisionsCommand,
  labelsAgreementCommand,
  labelsExportCommand
]
