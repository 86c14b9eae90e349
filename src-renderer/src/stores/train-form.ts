import type { TrainRequestInput } from '../../../src-main/ipc/contract'
import { defaultKFolds, groupFoldCount, trainingPresets } from '../../../src-main/ipc/contract/presets'

/** The Train page's form: blank strings and 'default' leave the choice to the preset. */
export interface TrainForm {
  scope: 'all' | 'participants' | 'sessions'
  participantIds: number[]
  sessionIds: number[]
  preset: 'paper' | 'native'
  target: 'arousal' | 'valence'
  labelSource: '' | 'self' | 'partner' | 'external' | 'majority' | 'weighted'
  threshold: number | ''
  protocol: '' | 'loso' | 'kfold' | 'holdout' | 'groups'
  groups: '' | 'published' | 'auto'
  holdoutParticipants: string
  folds: number | ''
  epochs: number | ''
  batchSize: number | ''
  ensemble: number | ''
  seed: number | ''
  restoreBest: 'default' | 'yes' | 'no'
  normalize: 'default' | 'yes' | 'no'
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu'
  jobs: number
}

export function newForm(): TrainForm {
  return {
    scope: 'all',
    participantIds: [],
    sessionIds: [],
    preset: 'paper',
    target: 'arousal',
    labelSource: '',
    threshold: '',
    protocol: '',
    groups: '',
    holdoutParticipants: '',
    folds: '',
    epochs: '',
    batchSize: '',
    ensemble: '',
    seed: '',
    restoreBest: 'default',
    normalize: 'default',
    backend: 'auto',
    jobs: 1
  }
}

const optional = <T>(value: T | ''): T | undefined => (value === '' ? undefined : value)
const choice = (value: 'default' | 'yes' | 'no'): boolean | undefined =>
  value === 'default' ? undefined : value === 'yes'

/** The request main validates; participant picks become their sessions. */
export function requestOf(
  form: TrainForm,
  sessionsOf: (participantId: number) => number[]
): TrainRequestInput {
  const sessionIds =
    form.scope === 'sessions'
      ? form.sessionIds
      : form.scope === 'participants'
        ? form.participantIds.flatMap(sessionsOf)
        : undefined
  const holdout = form.holdoutParticipants
    .split(',')
    .map((code) => code.trim())
    .filter(Boolean)
  return {
    preset: form.preset,
    target: form.target,
    labelSource: optional(form.labelSource),
    threshold: optional(form.threshold),
    protocol: optional(form.protocol),
    groups:
      form.protocol === 'groups' || (form.protocol === '' && form.preset === 'paper')
        ? optional(form.groups)
        : undefined,
    holdoutParticipants: form.protocol === 'holdout' && holdout.length ? holdout : undefined,
    folds: form.protocol === 'kfold' ? optional(form.folds) : undefined,
    sessionIds,
    epochs: optional(form.epochs),
    batchSize: optional(form.batchSize),
    ensemble: optional(form.ensemble),
    seed: optional(form.seed),
    restoreBest: choice(form.restoreBest),
    normalize: choice(form.normalize),
    backend: form.backend,
    jobs: form.jobs
  }
}

/**
 * How many models a run will train, epoch for epoch, for a run-level ETA: the engine reports only the current
 * model's. Early stopping makes this an upper bound.
 */
export interface RunPlan {
  folds: number
  members: number
  epochs: number
  finalModel: boolean
}

export function planOf(form: TrainForm, participants: number): RunPlan {
  const defaults = trainingPresets[form.preset]
  const protocol = form.protocol || defaults.protocol
  const folds =
    protocol === 'groups'
      ? groupFoldCount
      : protocol === 'kfold'
        ? form.folds || defaultKFolds
        : protocol === 'holdout'
          ? 1
          : Math.max(1, participants)
  return {
    folds,
    members: form.ensemble || defaults.ensemble,
    epochs: form.epochs || defaults.epochs,
    finalModel: true
  }
}

const protocolNames = { loso: 'LOSO', kfold: 'k-fold', holdout: 'holdout', groups: 'groups' } as const

/** What a preset does with the fields left blank, in the Train page's words, from the contract's defaults. */
export function presetSummary(preset: TrainForm['preset']): string {
  const d = trainingPresets[preset]
  const inputs = preset === 'paper' ? '20 points per channel' : 'sensors at their own rates'
  return [
    `${preset}: ${inputs}`,
    d.normalize ? 'per-participant z-scores' : 'raw inputs',
    d.protocol === 'groups' ? `${groupFoldCount} participant groups` : protocolNames[d.protocol],
    `${d.epochs} epochs`,
    `batch ${d.batchSize}`,
    ...(d.ensemble > 1 ? [`${d.ensemble}-model ensembles`] : []),
    ...(d.restoreBest ? ['restore-best'] : [])
  ].join(', ')
}
