import type { InputShape, Window } from '../windows/types'
import { argMax } from './metrics'

/** Predicts the most frequent training class for every window (ties: the lower class). */
export function majorityClass(trainingLabels: number[], classes = 2): number {
  const counts = new Array<number>(classes).fill(0)
  for (const label of trainingLabels) counts[label]++
  return argMax(counts)
}

/** Per channel of every input: mean, standard deviation, minimum, maximum and end-minus-start. */
export function windowFeatures(window: Window, shapes: InputShape[]): number[] {
  const features: number[] = []
  shapes.forEach((shape, input) => {
    const values = window.inputs[input]
    for (let c = 0; c < shape.channels; c++) {
      let sum = 0
      let squares = 0
      let min = Infinity
      let max = -Infinity
      for (let k = 0; k < shape.steps; k++) {
        const v = values[k * shape.channels + c]
        sum += v
        squares += v * v
        if (v < min) min = v
        if (v > max) max = v
      }
      const mean = sum / shape.steps
      features.push(mean, Math.sqrt(Math.max(0, squares / shape.steps - mean * mean)), min, max)
      features.push(values[(shape.steps - 1) * shape.channels + c] - values[c])
    }
  })
  return features
}

/**
 * Multinomial logistic regression with L2, by full-batch gradient descent on standardized features. Small
 * and dependency-free: it is the classic baseline beside which the network's numbers are read.
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
    return [...row.map((v, j) => (v - this.featureMean[j]) / this.featureStd[j]), 1]
  }

  fit(rows: number[][], labels: number[]): this {
    const features = rows[0]?.length ?? 0
    this.featureMean = Array.from(
      { length: features },
      (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length
    )
    this.featureStd = Array.from({ length: features }, (_, j) => {
      const variance = rows.reduce((s, r) => s + (r[j] - this.featureMean[j]) ** 2, 0) / rows.length
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
