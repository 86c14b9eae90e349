import { ValidationError } from '../../errors'
import type { Window } from '../windows/types'
import { argMax } from './metrics'

/** Predicts the most frequent training class for every window (ties: the lower class). */
export function majorityClass(trainingLabels: number[], classes = 2): number {
  const counts = new Array<number>(classes).fill(0)
  for (const label of trainingLabels) counts[label]++
  return argMax(counts)
}

/**
 * The baseline's features of a window: its physiological features (EDA tonic and SCRs, HR and HRV, TEMP, ACC;
 * signal/window-features.ts), computed by extractWindows from the raw streams. A feature the window lacks (null)
 * is NaN here, and LogisticRegression replaces it by the training mean.
 */
export function windowFeatures(window: Window): number[] {
  if (!window.physiology)
    throw new ValidationError(
      `window ending at ${window.endMs} of session ${window.sessionId} has no physiological features: baseline windows come from extractWindows`,
      'windows'
    )
  return window.physiology.map((value) => value ?? NaN)
}

/**
 * Multinomial logistic regression with L2, by full-batch gradient descent on standardized features. Small
 * and dependency-free: it is the classic baseline beside which the network's numbers are read. A missing
 * feature (NaN) is imputed with its training mean, i.e. standardized to 0; a feature missing from every
 * training row is 0 throughout and so carries no weight.
 */
export class LogisticRegression {
  private weights: number[][] = []
  private featureMean: number[] = []
  private featureStd: number[] = []

  constructor(
    private readonly classes = 2,
    private readonly l2 = 1e-2,
    private readonly iterations = 300,
    private readonly learningRate = 0.5
  ) {}

  private standardize(row: number[]): number[] {
    return [...row.map((v, j) => (Number.isNaN(v) ? 0 : (v - this.featureMean[j]) / this.featureStd[j])), 1]
  }

  fit(rows: number[][], labels: number[]): this {
    const features = rows[0]?.length ?? 0
    const present = (j: number): number[] => rows.map((r) => r[j]).filter((v) => !Number.isNaN(v))
    this.featureMean = Array.from({ length: features }, (_, j) => {
      const values = present(j)
      return values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0
    })
    this.featureStd = Array.from({ length: features }, (_, j) => {
      const values = present(j)
      const variance = values.length
        ? values.reduce((s, v) => s + (v - this.featureMean[j]) ** 2, 0) / values.length
        : 0
      return variance > 1e-12 ? Math.sqrt(variance) : 1
    })
    const x = rows.map((row) => this.standardize(row))
    const width = features + 1
    this.weights = Array.from({ length: this.classes }, () => new Array<number>(width).fill(0))
    for (let iteration = 0; iteration < this.iterations; iteration++) {
      const gradient = Array.from({ length: this.classes }, () => new Array<number>(width).fill(0))
      x.forEach((row, i) => {
        const p = this.probabilitiesOfStandardized(row)
        for (let c = 0; c < this.classes; c++) {
          const error = p[c] - (labels[i] === c ? 1 : 0)
          for (let j = 0; j < width; j++) gradient[c][j] += error * row[j]
        }
      })
      for (let c = 0; c < this.classes; c++) {
        for (let j = 0; j < width; j++) {
          const penalty = j < features ? this.l2 * this.weights[c][j] : 0
          this.weights[c][j] -= this.learningRate * (gradient[c][j] / x.length + penalty)
        }
      }
    }
    return this
  }

  private probabilitiesOfStandardized(row: number[]): number[] {
    const scores = this.weights.map((w) => w.reduce((s, wj, j) => s + wj * row[j], 0))
    const top = Math.max(...scores)
    const exps = scores.map((s) => Math.exp(s - top))
    const total = exps.reduce((a, b) => a + b, 0)
    return exps.map((e) => e / total)
  }

  predictProbabilities(rows: number[][]): number[][] {
    return rows.map((row) => this.probabilitiesOfStandardized(this.standardize(row)))
  }
}
