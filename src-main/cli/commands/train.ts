import { parseOrRefuse, ValidationError } from '../../errors'
import { trainRequestSchema, type TrainRequest } from '../../ipc/contract/engine'
import { checkTrainingRequest } from '../../engine/runs/training-limits'
import { runTraining, type RunOutcome } from '../../engine/runs/run-training'
import { recordEndedRun, recordFinishedRun } from '../../engine/runs/run-service'
import type { ClassificationMetrics } from '../../engine/evaluation/metrics'
import { ModelStore } from '../../store/model-store'
import { integerOption, numberOption, stringOption, type CliCommand, type CliInput } from '../command'
import { withStudy } from '../study-option'

function list(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
}

function flag(input: CliInput, name: string): boolean | undefined {
  return input.values[name] === true ? true : undefined
}

/** CLI flags to a training request; zod names the first bad field. */
export function trainRequestFromArgs(input: CliInput): TrainRequest {
  const values = input.values
  const filters = integerOption(values, 'filters')
  const augment = stringOption(values, 'augment')
  if (augment !== undefined && augment !== 'none' && augment !== 'preset') {
    throw new ValidationError(`--augment must be none or preset, got "${augment}"`, 'augment')
  }
  const raw = {
    preset: stringOption(values, 'preset'),
    target: stringOption(values, 'target'),
    labelSource: stringOption(values, 'label-source'),
    threshold: numberOption(values, 'threshold'),
    protocol: stringOption(values, 'protocol'),
    folds: integerOption(values, 'folds'),
    groups: stringOption(values, 'groups'),
    holdoutParticipants: list(stringOption(values, 'holdout')),
    sessionIds: list(stringOption(values, 'sessions'))?.map(Number),
    epochs: integerOption(values, 'epochs'),
    batchSize: integerOption(values, 'batch-size'),
    learningRate: numberOption(values, 'learning-rate'),
    patience: integerOption(values, 'patience'),
    ensemble: integerOption(values, 'ensemble'),
    restoreBest: flag(input, 'restore-best'),
    seed: integerOption(values, 'seed'),
    normalize: flag(input, 'normalize'),
    classWeighting: stringOption(values, 'class-weights'),
    augment: augment === 'none' ? null : undefined,
    model: filters !== undefined ? { filters } : undefined,
    backend: stringOption(values, 'backend') ?? process.env.EMOHEAL_BACKEND ?? 'auto',
    jobs: integerOption(values, 'jobs', 1),
    finalModel: values['no-final'] !== true,
    modelDirectory: stringOption(values, 'out')
  }
  const request = parseOrRefuse(trainRequestSchema, raw, { shown: (field) => `--${field}` })
  // The same checks as the Train page's call: the model's own schema and the size of the run.
  checkTrainingRequest(request)
  return request
}

function brief(metrics: ClassificationMetrics) {
  const { accuracy, balancedAccuracy, macroF1, weightedF1, auc, confusion, count } = metrics
  return { count, accuracy, balancedAccuracy, macroF1, weightedF1, auc, confusion }
}

/** The JSON of `emoheal train`: per-fold and pooled metrics beside both baselines. */
export function trainResult(outcome: RunOutcome, runId: number, modelId: number | null) {
  const evaluation = outcome.evaluation
  return {
    ok: true,
    runId,
    modelId,
    preset: outcome.preset,
    target: outcome.config.windows.target,
    backend: outcome.backend,
    parameterCount: outcome.parameterCount,
    protocol: evaluation.protocol,
    groups: evaluation.groups,
    groupsNote: outcome.groupsNote,
    windows: outcome.windows,
    folds: evaluation.folds.map((fold) => ({
      name: fold.name,
      testParticipants: fold.testParticipants,
      trainCount: fold.trainCount,
      validationCount: fold.validationCount,
      model: brief(fold.metrics),
      majority: brief(fold.majority),
      logistic: brief(fold.logistic),
      members: fold.members
    })),
    mean: evaluation.mean,
    pooled: {
      model: brief(evaluation.pooled.model),
      majority: brief(evaluation.pooled.majority),
      logistic: brief(evaluation.pooled.logistic)
    },
    review: outcome.review.slice(0, 20),
    modelDirectory: outcome.model?.directory ?? null,
    seconds: outcome.seconds
  }
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`

export const trainCommand: CliCommand = {
  path: ['train'],
  summary: 'evaluate a model by a protocol beside two baselines, then train and register the final model',
  usage:
    'train --study FILE [--preset paper|native] [--target arousal|valence] [--protocol loso|kfold|holdout|groups] [--folds K] ' +
    '[--groups published|auto] [--epochs E] [--ensemble N] [--restore-best] [--seed S] [--backend B] [--jobs N] [--json]',
  options: {
    preset: { type: 'string' },
    target: { type: 'string' },
    'label-source': { type: 'string' },
    threshold: { type: 'string' },
    protocol: { type: 'string' },
    folds: { type: 'string' },
    groups: { type: 'string' },
    holdout: { type: 'string' },
    sessions: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    patience: { type: 'string' },
    ensemble: { type: 'string' },
    'restore-best': { type: 'boolean' },
    seed: { type: 'string' },
    normalize: { type: 'boolean' },
    'class-weights': { type: 'string' },
    augment: { type: 'string' },
    filters: { type: 'string' },
    backend: { type: 'string' },
    jobs: { type: 'string' },
    'no-final': { type: 'boolean' },
    out: { type: 'string' }
  },
  async run(input) {
    const request = trainRequestFromArgs(input)
    return withStudy(input, false, async (study) => {
      const models = new ModelStore(study.db)
      const run = models.startRun(request)
      const controller = new AbortController()
      const onInterrupt = () => controller.abort()
      process.once('SIGINT', onInterrupt)
      try {
        const outcome = await runTraining(study, request, {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'fold' && p.epochDone) {
              input.progress(
                `fold ${(p.fold ?? 0) + 1} model ${(p.member ?? 0) + 1}/${p.members} epoch ${(p.epoch ?? 0) + 1}: loss ${p.loss?.toFixed(4)} ` +
                  `acc ${p.accuracy?.toFixed(3)} val loss ${p.validationLoss?.toFixed(4) ?? '-'}`
              )
            } else if (
              (p.phase === 'final' && p.epochDone) ||
              p.phase === 'windows' ||
              p.phase === 'saving'
            ) {
              input.progress(p.message)
            }
          }
        })
        if (outcome.groupsNote) input.progress(outcome.groupsNote)
        if (outcome.evaluation.groups)
          input.progress(`groups: ${outcome.evaluation.groups.map((g) => `{${g.join(', ')}}`).join(' ')}`)
        const record = recordFinishedRun(models, run.id, outcome)
        return trainResult(outcome, run.id, record.modelId)
      } catch (error) {
        recordEndedRun(models, run.id, error as Error)
        throw error
      } finally {
        process.off('SIGINT', onInterrupt)
      }
    })
  },
  format(result) {
    const r = result as ReturnType<typeof trainResult>
    const lines = [
      `${r.preset} preset, ${r.target}, ${r.protocol}, backend ${r.backend.name}, ${r.parameterCount.toLocaleString('en')} parameters`,
      `windows: ${r.windows.count} (low ${r.windows.classCounts[0]}, high ${r.windows.classCounts[1]}), dropped: ${JSON.stringify(r.windows.dropped)}`,
      'fold\taccuracy\tweighted F1\tmajority\tlogistic',
      ...r.folds.map(
        (f) =>
          `${f.name}\t${percent(f.model.accuracy)}\t${f.model.weightedF1.toFixed(3)}\t${percent(f.majority.accuracy)}\t${percent(f.logistic.accuracy)}`
      ),
      `mean\t${percent(r.mean.accuracy.mean)} (SD ${r.mean.accuracy.sd.toFixed(3)})\t${r.mean.weightedF1.mean.toFixed(3)}\t${percent(r.mean.majorityAccuracy.mean)}\t${percent(r.mean.logisticAccuracy.mean)}`,
      `pooled\t${percent(r.pooled.model.accuracy)}\t${r.pooled.model.weightedF1.toFixed(3)}\t${percent(r.pooled.majority.accuracy)}\t${percent(r.pooled.logistic.accuracy)}`,
      r.modelDirectory ? `model ${r.modelId} saved in ${r.modelDirectory}` : 'no final model (--no-final)'
    ]
    return lines.join('\n')
  }
}
