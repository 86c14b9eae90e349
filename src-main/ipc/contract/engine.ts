import { z } from 'zod'
import { defineCall } from './define'

const id = z.number().int().positive()

export const augmentSchema = z.object({
  jitter: z.number().min(0).optional(),
  scaling: z.number().min(0).optional(),
  magnitudeWarp: z.number().min(0).optional(),
  timeShift: z.number().min(0).max(0.5).optional(),
  windowSlice: z.number().gt(0).max(1).optional(),
  copies: z.number().int().min(1).max(10).optional()
})

/**
 * A training request. Unset fields take the preset's defaults (see engine/run-training.ts): `paper` is the
 * published configuration, `native` our native-rate design.
 */
export const trainRequestSchema = z.object({
  preset: z.enum(['paper', 'native']).default('paper'),
  target: z.enum(['arousal', 'valence']).default('arousal'),
  labelSource: z.enum(['self', 'partner', 'external', 'majority', 'weighted']).optional(),
  /** A rating above this is "high"; default 2. */
  threshold: z.number().optional(),
  windowMs: z.number().int().positive().optional(),
  protocol: z.enum(['loso', 'kfold', 'holdout', 'groups']).optional(),
  folds: z.number().int().min(2).max(50).optional(),
  groups: z.enum(['published', 'auto']).optional(),
  holdoutParticipants: z.array(z.string()).optional(),
  sessionIds: z.array(id).optional(),
  epochs: z.number().int().min(1).max(10_000).optional(),
  batchSize: z.number().int().min(1).max(4096).optional(),
  learningRate: z.number().positive().optional(),
  weightDecay: z.number().min(0).optional(),
  patience: z.number().int().min(0).optional(),
  ensemble: z.number().int().min(1).max(20).optional(),
  restoreBest: z.boolean().optional(),
  seed: z.number().int().min(0).optional(),
  normalize: z.boolean().optional(),
  classWeighting: z.enum(['none', 'balanced']).optional(),
  augment: augmentSchema.nullable().optional(),
  validationFraction: z.number().min(0).max(0.5).optional(),
  /** Overrides of the preset's model config (filters, dilations, sensors, ...). */
  model: z.record(z.string(), z.unknown()).optional(),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  jobs: z.number().int().min(1).max(16).default(1),
  /** Train a model on all windows after the evaluation, save it and register it. */
  finalModel: z.boolean().default(true),
  modelDirectory: z.string().optional()
})

export type TrainRequest = z.output<typeof trainRequestSchema>
export type TrainRequestInput = z.input<typeof trainRequestSchema>

export interface TrainProgress {
  runId: number
  phase: 'windows' | 'fold' | 'final' | 'saving' | 'done' | 'cancelled' | 'failed'
  message: string
  fold: number | null
  folds: number | null
  member: number | null
  members: number | null
  epoch: number | null
  epochs: number | null
  batch: number | null
  batches: number | null
  loss: number | null
  accuracy: number | null
  validationLoss: number | null
  validationAccuracy: number | null
  etaMs: number | null
  epochDone: boolean
}

export interface TrainingRunView {
  id: number
  modelId: number | null
  status: 'running' | 'done' | 'cancelled' | 'failed'
  config: Record<string, unknown>
  results: Record<string, unknown> | null
  error: string | null
  startedMs: number
  endedMs: number | null
}

export interface ModelView {
  id: number
  name: string
  directory: string
  preset: string
  target: string
  config: Record<string, unknown>
  metrics: Record<string, unknown>
  active: boolean
  createdMs: number
}

export interface ReviewItemView {
  sessionId: number
  participant: string
  endMs: number
  rating: number
  label: number
  predicted: number
  confidence: number
}

/** Metrics of one set of predictions, as storedResults writes them. Confusion is [true class][predicted class]. */
export interface ClassificationMetricsView {
  count: number
  accuracy: number
  balancedAccuracy: number
  macroF1: number
  weightedF1: number
  /** ROC AUC of the class-1 score (macro one-vs-rest for more classes); null when a class is absent. */
  auc: number | null
  confusion: number[][]
}

export interface MeanAndSdView {
  mean: number
  sd: number
}

export interface FoldResultView {
  index: number
  name: string
  testParticipants: string[]
  trainCount: number
  validationCount: number
  testCount: number
  metrics: ClassificationMetricsView
  majority: ClassificationMetricsView
  logistic: ClassificationMetricsView
  parameterCount: number
}

/** What training_run.results holds for a finished run (engine/run-service.ts storedResults). */
export interface TrainResultsView {
  preset: string
  backend: { name: string; why: string }
  config: Record<string, unknown>
  windows: { count: number; classCounts: number[]; participants: number; dropped: Record<string, number> }
  groupsNote: string | null
  evaluation: {
    protocol: string
    groups: string[][] | null
    folds: FoldResultView[]
    pooled: {
      model: ClassificationMetricsView
      majority: ClassificationMetricsView
      logistic: ClassificationMetricsView
    }
    mean: {
      accuracy: MeanAndSdView
      balancedAccuracy: MeanAndSdView
      weightedF1: MeanAndSdView
      macroF1: MeanAndSdView
      majorityAccuracy: MeanAndSdView
      logisticAccuracy: MeanAndSdView
    }
    parameterCount: number
  }
  parameterCount: number
  modelDirectory: string | null
  seconds: number
}

export interface PredictionView {
  modelId: number
  target: string
  windowEndMs: number
  probabilities: number[]
}

export const engineCalls = {
  'train.start': defineCall<{ runId: number }>()(trainRequestSchema),
  'train.cancel': defineCall<{ cancelled: boolean }>()(z.object({ runId: id })),
  'runs.list': defineCall<TrainingRunView[]>()(z.object({})),
  'models.list': defineCall<ModelView[]>()(z.object({})),
  'models.activate': defineCall<ModelView>()(z.object({ id })),
  'predict.session': defineCall<{ modelId: number; sessionId: number; windows: number; skipped: number }>()(
    z.object({ sessionId: id, modelId: id.optional() })
  ),
  'predictions.list': defineCall<PredictionView[]>()(z.object({ sessionId: id, modelId: id.optional() })),
  'models.importTorch': defineCall<ModelView & { tensorsRead: number; parameterCount: number }>()(
    z.object({
      file: z.string().min(1),
      preset: z.literal('paper').default('paper'),
      name: z.string().optional()
    })
  ),
  'models.exportTorch': defineCall<{ file: string; parameterCount: number; tensorsWritten: number }>()(
    z.object({ id, file: z.string().min(1) })
  ),
  'review.list': defineCall<ReviewItemView[]>()(
    z.object({
      runId: id.optional(),
      minConfidence: z.number().min(0.5).max(1).default(0.8),
      limit: z.number().int().min(1).max(1000).default(100)
    })
  )
}
