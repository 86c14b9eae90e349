/**
 * PyTorch's ReduceLROnPlateau (mode min, relative threshold 1e-4): after more than `patience` epochs
 * without improvement of the watched loss, the learning rate is multiplied by `factor`.
 */
export class PlateauSchedule {
  private best = Infinity
  private badEpochs = 0

  constructor(
    private readonly factor: number,
    private readonly patience: number,
    private readonly minLearningRate = 0,
    private readonly threshold = 1e-4
  ) {}

  /** Returns the learning rate for the next epoch. */
  step(loss: number, learningRate: number): number {
    if (loss < this.best * (1 - this.threshold)) {
      this.best = loss
      this.badEpochs = 0
      return learningRate
    }
    this.badEpochs++
    if (this.badEpochs > this.patience) {
      this.badEpochs = 0
      return Math.max(this.minLearningRate, learningRate * this.factor)
    }
    return learningRate
  }
}

/** Stops after `patience` epochs in a row without a lower validation loss (the published rule). */
export class EarlyStopping {
  best = Infinity
  bestEpoch = -1
  private waited = 0

  constructor(private readonly patience: number) {}

  /** Records an epoch; returns whether it is the best so far. */
  record(epoch: number, loss: number): boolean {
    if (loss < this.best) {
      this.best = loss
      this.bestEpoch = epoch
      this.waited = 0
      return true
    }
    this.waited++
    return false
  }

  get shouldStop(): boolean {
    return this.patience > 0 && this.waited >= this.patience
  }
}
