import { z } from 'zod'
import { defineCall } from './define'

const id = z.number().int().positive()

/**
 * Upper bounds of what one training call may ask for. Each is a generous multiple of what the paper (P) and
 * native (N) presets use, so that real variations of either pass, while no single call can ask for a model or
 * a batch that exhausts memory. The two aggregates catch combinations that each field's bound lets through;
 * they need the model's defaults, so engine/runs/training-limits.ts checks them with the model's own schema when
 * train.start is called, before a run starts.
 */
export const trainingLimits = {
  // P 150 epochs, N 60, both with early stopping; 2,000 is 13x the paper.
  epochs: 2000,
  // P and N 32; 4,096 is larger than most studies' training splits (the activation bound below also applies).
  batchSize: 4096,
  // P 5 members; each member is one more model trained per fold.
  ensemble: 20,
  // k-fold only (LOSO and groups take their folds from the participants); 50 is more than anyone runs.
  folds: 50,
  // Both presets cut 5-s windows; a minute is 12x that, and at 1 kHz still 60,000 samples per channel.
  windowMs: 60_000,
  // Patience beyond the largest epoch count means no early stopping: nothing larger makes sense.
  patience: 2000,
  // Adam diverges long before 1 (P 5e-4, N 1e-3); a decay above 1 removes the weights in one step.
  learningRate: 1,
  weightDecay: 1,
  // Selection lists: a study holds far fewer; the bound keeps one call's argument from being millions long.
  sessions: 10_000,
  participants: 1000,
  /**
   * Parameters of the model (an estimate close to the real count: 225k for the published 213,811). 2^24 is
   * 78x the paper; its weights, gradients and Adam moments take 256 MiB per concurrent job.
   */
  parameters: 2 ** 24,
  /**
   * Activation elements one training step holds across all parallel jobs: jobs x batch x (each branch's padded
   * length x filters x blocks, plus the GRU's steps x 3 gates x units x 2 directions x layers). The paper preset
   * at batch 32 needs 0.3 M, the native one 1.3 M, a 1 kHz sensor in 10-s windows 21 M. The estimate counts
   * one tensor per block where backprop keeps about eight, so 2^27 (512 MiB as float32) is a peak of some
   * 4 GiB: 100x the presets, and what one call may take of a 16 GB machine.
   */
  activations: 2 ** 27
} as const

/**
 * Upper bounds of the model configuration's fields, by their names in engine/model/config.ts (which defines
 * their types, lower bounds and defaults), with the presets' values they multiply.
 */
export const modelFieldLimits = {
  // P 20 points per channel.
  steps: 2000,
  // P 25, N 16 per branch; weights grow with its square.
  filters: 256,
  // P 2, N 3.
  kernelSize: 16,
  attentionReduction: 256,
  // P 128.
  fusionUnits: 1024,
  // P 64, N 32.
  gruUnits: 512,
  // P 2, N 1.
  gruLayers: 4,
  // Both 2 (low/high).
  classes: 16,
  // N pools to the shortest branch (20 steps); no branch is longer than rateHz x windowMs.
  fusionSteps: 2048 * 60,
  // P [1, 2, 4], N [1, 2, 4, 8]: one block per dilation, each padded by (kernelSize - 1) x dilation samples.
  dilations: { count: 12, each: 1024 },
  // N 4 sensors (5 with heart rate); acc has 3 channels; BITalino's highest rate is 1,000 Hz.
  sensors: { count: 16, rateHz: 2048, channels: 16 }
} as const

const scalarModelFields = [
  'steps',
  'filters',
  'kernelSize',
  'attentionReduction',
  'fusionUnits',
  'gruUnits',
  'gruLayers',
  'classes',
  'fusionSteps'
] as const

/**
 * The upper bounds of `model`, checked on the overrides as given. Only numbers are compared here: their types
 * and lower bounds are the model schema's, which train.start applies (engine/runs/training-limits.ts).
 */
function boundModel(model: Record<string, unknown> | undefined, ctx: z.RefinementCtx): void {
  if (!model) return
  const atMost = (path: (string | number)[], value: unknown, limit: number) => {
    if (typeof value === 'number' && value > limit)
      ctx.addIssue({
        code: 'custom',
        path: ['model', ...path],
        message: `${value} is more than ${limit}, the most one training call may ask for`
      })
  }
  for (const field of scalarModelFields) atMost([field], model[field], modelFieldLimits[field])
  const { dilations, sensors } = model
  if (Array.isArray(dilations)) {
    atMost(['dilations'], dilations.length, modelFieldLimits.dilations.count)
    dilations.forEach((dilation, index) =>
      atMost(['dilations', index], dilation, modelFieldLimits.dilations.each)
    )
  }
  if (Array.isArray(sensors)) {
    atMost(['sensors'], sensors.length, modelFieldLimits.sensors.count)
    sensors.forEach((sensor: unknown, index) => {
      if (sensor === null || typeof sensor !== 'object') return
      const { rateHz, channels } = sensor as Record<string, unknown>
      atMost(['sensors', index, 'rateHz'], rateHz, modelFieldLimits.sensors.rateHz)
      atMost(['sensors', index, 'channels'], channels, modelFieldLimits.sensors.channels)
    })
  }
}

export const augmentSchema = z.object({
  jitter: z.number().min(0).optional(),
  scaling: z.number().min(0).optional(),
  magnitudeWarp: z.number().min(0).optional(),
  timeShift: z.number().min(0).max(0.5).optional(),
  windowSlice: z.number().gt(0).max(1).optional(),
  copies: z.number().int().min(1).max(10).optional()
})

/**
 * A training request. Unset fields take the preset's defaults (see engine/runs/run-training.ts): `paper` is the
 * published configuration, `native` our native-rate design.
 */
export const trainRequestSchema = z
  .object({
    preset: z.enum(['paper', 'native']).default('paper'),
    target: z.enum(['arousal', 'valence']).default('arousal'),
    labelSource: z.enum(['self', 'partner', 'external', 'majority', 'weighted']).optional(),
    /** A rating above this is "high"; default 2. */
    threshold: z.number().optional(),
    windowMs: z.number().int().positive().max(trainingLimits.windowMs).optional(),
    protocol: z.enum(['loso', 'kfold', 'holdout', 'groups']).optional(),
    folds: z.number().int().min(2).max(trainingLimits.folds).optional(),
    groups: z.enum(['published', 'auto']).optional(),
    holdoutParticipants: z.array(z.string()).max(trainingLimits.participants).optional(),
    sessionIds: z.array(id).max(trainingLimits.sessions).optional(),
    epochs: z.number().int().min(1).max(trainingLimits.epochs).optional(),
    batchSize: z.number().int().min(1).max(trainingLimits.batchSize).optional(),
    learningRate: z.number().positive().max(trainingLimits.learningRate).optional(),
    weightDecay: z.number().min(0).max(trainingLimits.weightDecay).optional(),
    patience: z.number().int().min(0).max(trainingLimits.patience).optional(),
    ensemble: z.number().int().min(1).max(trainingLimits.ensemble).optional(),
    restoreBest: z.boolean().optional(),
    seed: z.number().int().min(0).optional(),
    normalize: z.boolean().optional(),
    classWeighting: z.enum(['none', 'balanced']).optional(),
    augment: augmentSchema.nullable().optional(),
    validationFraction: z.number().min(0).max(0.5).optional(),
    /**
     * Overrides of the preset's model config (filters, dilations, sensors, ...), bounded by modelFieldLimits
     * here and checked against the model's own schema when train.start is called.
     */
    model: z.record(z.string(), z.unknown()).optional(),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    // Parallel folds, one worker thread and one model each: more than the cores only queues.
    jobs: z.number().int().min(1).max(16).default(1),
    /** Train a model on all windows after the evaluation, save it and register it. */
    finalModel: z.boolean().default(true),
    modelDirectory: z.string().optional()
  })
  .superRefine((request, ctx) => boundModel(request.model, ctx))

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

/** What training_run.results holds for a finished run (engine/runs/run-service.ts storedResults). */
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
  /** A run merged from a training plan (`emoheal train merge`): where it came from and where its tasks ran. */
  plan?: { directory: string; point: string; tasks: number; taskSeconds: number; hosts: string[] }
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
  'models.exportOnnx': defineCall<{
    file: string
    bytes: number
    dtype: 'float32' | 'float16' | 'uint8'
    preset: string
    nodes: number
  }>()(
    z.object({
      id,
      file: z.string().min(1).max(4096),
      dtype: z.enum(['float32', 'float16', 'uint8']).default('float32')
    })
  ),
  'review.list': defineCall<ReviewItemView[]>()(
    z.object({
      runId: id.optional(),
      minConfidence: z.number().min(0.5).max(1).default(0.8),
      limit: z.number().int().min(1).max(1000).default(100)
    })
  )
}
