import { describe, expect, it } from 'vitest'
import { classificationMetrics, rocAuc } from '../../src-main/engine/evaluation/metrics'
import { LogisticRegression } from '../../src-main/engine/evaluation/baselines'
import { Random } from '../../src-main/engine/training/random'

describe('metrics', () => {
  it('computes accuracy, balanced accuracy, F1s and the confusion matrix', () => {
    // 6 true low, 4 true high. Predicted: low right 5, low wrong 1; high right 2, high wrong 2.
    const labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    const predictions = [0, 0, 0, 0, 0, 1, 1, 1, 0, 0]
    const m = classificationMetrics(labels, predictions, null)
    expect(m.confusion).toEqual([
      [5, 1],
      [2, 2]
    ])
    expect(m.accuracy).toBeCloseTo(0.7)
    expect(m.balancedAccuracy).toBeCloseTo((5 / 6 + 2 / 4) / 2)
    const f1Low = (2 * (5 / 7) * (5 / 6)) / (5 / 7 + 5 / 6)
    const f1High = (2 * (2 / 3) * (2 / 4)) / (2 / 3 + 2 / 4)
    expect(m.macroF1).toBeCloseTo((f1Low + f1High) / 2)
    expect(m.weightedF1).toBeCloseTo(0.6 * f1Low + 0.4 * f1High)
    expect(m.auc).toBeNull()
  })

  it('AUC equals the share of correctly ordered positive-negative pairs', () => {
    const random = new Random(9)
    const positive = Array.from({ length: 60 }, () => random.next() < 0.4)
    const scores = positive.map((p) => Math.round((random.next() + (p ? 0.3 : 0)) * 10) / 10) // ties included
    let pairs = 0
    let wins = 0
    positive.forEach((p, i) =>
      positive.forEach((q, j) => {
        if (p && !q) {
          pairs++
          wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0
        }
      })
    )
    expect(rocAuc(positive, scores)).toBeCloseTo(wins / pairs, 10)
    expect(rocAuc([true, true], [0.1, 0.2])).toBeNull()
  })

  it('logistic regression separates a linearly separable set', () => {
    const random = new Random(3)
    const rows = Array.from({ length: 200 }, () => [random.normal(), random.normal(), random.normal() * 100])
    const labels = rows.map((r) => (r[0] + 0.5 * r[1] > 0 ? 1 : 0))
    const model = new LogisticRegression().fit(rows.slice(0, 150), labels.slice(0, 150))
    const predicted = model.predictProbabilities(rows.slice(150)).map((p) => (p[1] > 0.5 ? 1 : 0))
    const accuracy = predicted.filter((p, i) => p === labels[150 + i]).length / 50
    expect(accuracy).toBeGreaterThan(0.9)
  })
})
