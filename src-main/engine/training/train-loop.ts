import { FlatAdam } from './flat-adam'
import * as tf from '@tensorflow/tfjs'
import { CancelledError } from '../../errors'
import type { ExecutionPolicy } from '../runtime/execution-policy'
import { logitsModel } from '../model/logits'
import { weightedCrossEntropy } from './loss'
import { Random } from './random'
import { EarlyStopping, PlateauSchedule } from './schedule'
import type { WindowTensors } from './tensors'

export interface TrainingOptions {
  /** Most epochs; early stopping may end sooner. Paper: 150. */
  epochs: number
  batchSize: number
  learningRate: number
  /** PyTorch-style L2: g += weightDecay * w before the Adam update (not AdamW). */
  weightDecay: number
  /** One weight per class; all 1 = plain cross-entropy (the paper). */
  classWeights: number[]
  /** Epochs without a lower validation loss before stopping; 0 = never stop early. */
  earlyStoppingPatience: number
  /** ReduceLROnPlateau on validation loss; null = constant learning rate. */
  plateau: { factor: number; patience: number } | null
  /** Put back the weights of the best validation epoch at the end (the paper does not). */
  restoreBest: boolean
  /** Shuffling order; undefined = a fresh order each run. */
  seed?: number
}

export const paperTrainingOptions: TrainingOptions = {
  epochs: 150,
  batchSize: 32,
  learningRate: 5e-4,
  weightDecay: 1e-4,
  classWeights: [1, 1],
  earlyStoppingPatience: 10,
  plateau: { factor: 0.5, patience: 5 },
  restoreBest: false
}

export interface TrainingProgress {
  epoch: number
  epochs: number
  batch: number
  batches: number
  /** Mean training loss and accuracy of the epoch so far. */
  loss: number
  accuracy: number
  validationLoss: number | null
  validationAccuracy: number | null
  learningRate: number
  /** Time left if every remaining epoch runs (early stopping can only shorten it). */
  etaMs: number
  epochDone: boolean
}

export interface EpochRecord {
  epoch: number
  loss: number
  accuracy: number
  validationLoss: number | null
  validationAccuracy: number | null
  learningRate: number
}

export interface TrainingResult {
  epochsRun: number
  bestEpoch: number
  bestValidationLoss: number | null
  stoppedEarly: boolean
  restoredBest: boolean
  history: EpochRecord[]
  /** Training windows processed per second, over the whole run. */
  windowsPerSecond: number
}

export interface TrainingHooks {
  onProgress?: (progress: TrainingProgress) => void
  signal?: AbortSignal
  /**
   * How the model's layer passes run: the policy of the backend the run chose (execution-policy.ts), handed
   * to the model builder; the backend in use's when absent.
   */
  policy?: ExecutionPolicy
}

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve))

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('training was cancelled')
}

/** Loss and accuracy of a whole set, in inference mode, in batches. */
export function evaluateLoss(
  model: tf.LayersModel,
  data: WindowTensors,
  classWeights: number[],
  batchSize = 256
): { loss: number; accuracy: number } {
  const logits = logitsModel(model)
  let weightedLoss = 0
  let weightSum = 0
  let correct = 0
  for (let from = 0; from < data.count; from += batchSize) {
    const size = Math.min(batchSize, data.count - from)
    const [lossSum, weights, hits] = tf.tidy(() => {
      const xs = data.inputs.map((input) => input.slice([from, 0, 0], [size, -1, -1]))
      const ys = data.labels.slice([from], [size])
      const out = logits.predict(xs) as tf.Tensor2D
      const sampleWeights = tf.gather(tf.tensor1d(classWeights), ys)
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(ys, out.shape[1]), tf.logSoftmax(out)), 1))
      return [
        tf.sum(tf.mul(nll, sampleWeights)),
        tf.sum(sampleWeights),
        tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), ys), 'float32'))
      ]
    })
    weightedLoss += (lossSum.dataSync() as Float32Array)[0]
    weightSum += (weights.dataSync() as Float32Array)[0]
    correct += (hits.dataSync() as Float32Array)[0]
    tf.dispose([lossSum, weights, hits])
  }
  return {
    loss: weightSum > 0 ? weightedLoss / weightSum : 0,
    accuracy: data.count ? correct / data.count : 0
  }
}

/**
 * The custom loop: Adam with PyTorch-style weight decay, class-weighted cross-entropy on logits, early
 * stopping and a plateau schedule on validation loss, optional restore of the best weights. It yields to the
 * event loop after every batch so that a cancel message can arrive; a cancelled run throws CancelledError
 * and leaves nothing saved (saving is the caller's step after success).
 */
export async function trainModel(
  model: tf.LayersModel,
  train: WindowTensors,
  validation: WindowTensors | null,
  options: TrainingOptions,
  hooks: TrainingHooks = {}
): Promise<TrainingResult> {
  const logits = logitsModel(model)
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  // One update over all weights as one flat vector: ~12 kernels per step instead of ~480 (see flat-adam.ts).
  const optimizer = new FlatAdam(variables, {
    learningRate: options.learningRate,
    weightDecay: options.weightDecay
  })
  const classWeights = tf.tensor1d(options.classWeights)
  const random = new Random(options.seed ?? Math.floor(Math.random() * 2 ** 32))
  const schedule = options.plateau
    ? new PlateauSchedule(options.plateau.factor, options.plateau.patience)
    : null
  const stopping = new EarlyStopping(validation ? options.earlyStoppingPatience : 0)
  const batches = Math.ceil(train.count / options.batchSize)
  const history: EpochRecord[] = []
  let learningRate = options.learningRate
  let best: tf.Tensor[] | null = null
  let stoppedEarly = false
  let throttle = 0
  const started = Date.now()
  let windowsSeen = 0
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = random.shuffle(Array.from({ length: train.count }, (_, i) => i))
      let lossSum = 0
      let correct = 0
      let seen = 0
      for (let batch = 0; batch < batches; batch++) {
        checkCancelled(hooks.signal)
        const indices = order.slice(batch * options.batchSize, (batch + 1) * options.batchSize)
        const stats = tf.tidy(() => {
          const index = tf.tensor1d(indices, 'int32')
          const xs = train.inputs.map((input) => tf.gather(input, index))
          const ys = tf.gather(train.labels, index)
          let output: tf.Tensor2D | null = null
          const { value, grads } = tf.variableGrads(() => {
            // Kept past variableGrads' own scope for the accuracy below; disposed after it.
            output = tf.keep(logits.apply(xs, { training: true }) as tf.Tensor2D)
            return weightedCrossEntropy(output, ys, classWeights)
          }, variables)
          // A variable tfjs finds no path to (e.g. W_hh of a GRU run from h0 = 0 over one step) has a zero
          // gradient in PyTorch, which weight decay still moves; so it gets zeros here, not a skip.
          const complete: Record<string, tf.Tensor> = {}
          for (const variable of variables)
            complete[variable.name] = grads[variable.name] ?? tf.zerosLike(variable)
          optimizer.step(complete)
          const hits = tf.sum(
            tf.cast(tf.equal(tf.argMax(output as unknown as tf.Tensor2D, 1), ys), 'float32')
          )
          return tf.stack([value, hits])
        })
        const [loss, hits] = stats.dataSync() as Float32Array
        stats.dispose()
        lossSum += loss * indices.length
        correct += hits
        seen += indices.length
        windowsSeen += indices.length
        const now = Date.now()
        if (hooks.onProgress && now - throttle > 250 && batch < batches - 1) {
          throttle = now
          const done = epoch * batches + batch + 1
          hooks.onProgress({
            epoch,
            epochs: options.epochs,
            batch,
            batches,
            loss: lossSum / seen,
            accuracy: correct / seen,
            validationLoss: null,
            validationAccuracy: null,
            learningRate,
            etaMs: ((now - started) / done) * (options.epochs * batches - done),
            epochDone: false
          })
        }
        await yieldToEvents()
      }
      const validated = validation ? evaluateLoss(model, validation, options.classWeights) : null
      const record: EpochRecord = {
        epoch,
        loss: lossSum / seen,
        accuracy: correct / seen,
        validationLoss: validated?.loss ?? null,
        validationAccuracy: validated?.accuracy ?? null,
        learningRate
      }
      history.push(record)
      const elapsed = Date.now() - started
      hooks.onProgress?.({
        ...record,
        epochs: options.epochs,
        batch: batches - 1,
        batches,
        etaMs: (elapsed / (epoch + 1)) * (options.epochs - epoch - 1),
        epochDone: true
      })
      if (validated) {
        if (stopping.record(epoch, validated.loss) && options.restoreBest) {
          tf.dispose(best ?? [])
          best = variables.map((variable) => tf.clone(variable))
        }
        if (schedule) {
          learningRate = schedule.step(validated.loss, learningRate)
          optimizer.learningRate = learningRate
        }
        if (stopping.shouldStop) {
          stoppedEarly = true
          break
        }
      }
    }
    const restoredBest = Boolean(options.restoreBest && best)
    if (best) best.forEach((value, i) => variables[i].assign(value))
    return {
      epochsRun: history.length,
      bestEpoch: stopping.bestEpoch,
      bestValidationLoss: Number.isFinite(stopping.best) ? stopping.best : null,
      stoppedEarly,
      restoredBest,
      history,
      windowsPerSecond: windowsSeen / Math.max(1e-3, (Date.now() - started) / 1000)
    }
  } finally {
    tf.dispose(best ?? [])
    classWeights.dispose()
    optimizer.dispose()
  }
}
