/** A window whose out-of-fold prediction confidently disagrees with its training label (the contract's view). */
export type { ReviewItemView as ReviewItem } from '../../ipc/contract/engine'
import type { ReviewItemView as ReviewItem } from '../../ipc/contract/engine'

export interface OutOfFoldPrediction {
  sessionId: number
  participant: string
  endMs: number
  rating: number
  label: number
  probabilities: number[]
}

/**
 * Label review: out-of-fold predictions (the model never saw these windows) that pick another class with
 * at least `minConfidence`, most confident first. These are the labels most worth a second look.
 */
export function reviewCandidates(
  predictions: OutOfFoldPrediction[],
  minConfidence = 0.8,
  limit = 100
): ReviewItem[] {
  const items: ReviewItem[] = []
  for (const prediction of predictions) {
    const p = prediction.probabilities
    let predicted = 0
    for (let c = 1; c < p.length; c++) if (p[c] > p[predicted]) predicted = c
    if (predicted !== prediction.label && p[predicted] >= minConfidence) {
      const { sessionId, participant, endMs, rating, label } = prediction
      items.push({ sessionId, participant, endMs, rating, label, predicted, confidence: p[predicted] })
    }
  }
  return items
    .sort((a, b) => b.confidence - a.confidence || a.sessionId - b.sessionId || a.endMs - b.endMs)
    .slice(0, limit)
}
