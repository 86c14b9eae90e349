/**
 * A progress event's fields that say nothing: for phases outside the epochs (windows, saving, done).
 * Kept apart from run-training so that main can use it without loading TensorFlow.
 */
export const emptyProgress = {
  fold: null,
  folds: null,
  member: null,
  members: null,
  epoch: null,
  epochs: null,
  batch: null,
  batches: null,
  loss: null,
  accuracy: null,
  validationLoss: null,
  validationAccuracy: null,
  etaMs: null,
  epochDone: false
} as const
