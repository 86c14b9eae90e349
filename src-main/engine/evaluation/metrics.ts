import type { ClassificationMetricsView as ClassificationMetrics } from '../../ipc/contract/engine'

// The metrics are exactly what the contract shows the renderer: one definition serves both.
export type { ClassificationMetrics }

/** ROC AUC as the Mann-Whitney statistic, ties counted half. Null when either class is absent. */
export function rocAuc(positive: boolean[], scores: number[]): number | null {
  const order = scores.map((score, i) => ({ score, positive: positive[i] })).sort((a, b) => a.score - b.score)
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < order.length;) {
    let j = i
    while (j < order.length && order[j].score === order[i].score) j++
    const averageRank = (i + 1 + j) / 2
    for (let k = i; k < j; k++)
      if (order[k].positive) {
        positives++
        rankSum += averageRank
      }
    i = j
  }
  const negatives = order.length - positives
  if (positives === 0 || negatives === 0) return null
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

/**
 * Metrics from true labels, predicted labels and, for AUC, per-class probabilities (optional: a constant
 * baseline has no ranking).
 */
export function classificationMetrics(
  labels: number[],
  predictions: number[],
  probabilities: number[][] | null,
  classes = 2
): ClassificationMetrics {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  labels.forEach((label, i) => confusion[label][predictions[i]]++)
  const count = labels.length
  let correct = 0
  let recallSum = 0
  let presentClasses = 0
  let f1Sum = 0
  let weightedF1 = 0
  for (let c = 0; c < classes; c++) {
    correct += confusion[c][c]
    const support = confusion[c].reduce((a, b) => a + b, 0)
    const predicted = confusion.reduce((sum, row) => sum + row[c], 0)
    const recall = support ? confusion[c][c] / support : 0
    const precision = predicted ? confusion[c][c] / predicted : 0
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
    if (support > 0) {
      recallSum += recall
      presentClasses++
    }
    f1Sum += f1
    weightedF1 += count ? (f1 * support) / count : 0
  }
  let auc: number | null = null
  if (probabilities) {
    const perClass = (classes === 2 ? [1] : Array.from({ length: classes }, (_, c) => c)).map((c) =>
      rocAuc(
        labels.map((label) => label === c),
        probabilities.map((p) => p[c])
      )
    )
    const defined = perClass.filter((value): value is number => value !== null)
    auc = defined.length === perClass.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null
  }
  return {
    count,
    accuracy: count ? correct / count : 0,
    balancedAccuracy: presentClasses ? recallSum / presentClasses : 0,
    macroF1: f1Sum / classes,
    weightedF1,
    auc,
    confusion
  }
}

export function argMax(values: number[]): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i
  return best
}

export function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
  const variance =
    values.length > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1) : 0
  return { mean, sd: Math.sqrt(variance) }
}
