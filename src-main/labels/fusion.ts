import type { RatingSource, SourceWeights } from '../ipc/contract/labels'

export type SourceValues = Record<RatingSource, number | null>

export const EQUAL_WEIGHTS: SourceWeights = { self: 1, partner: 1, external: 1 }

/** Ties go to the trained external raters first (the label the EmoHeal paper trained on), then to the participant. */
export const TIE_PRIORITY: readonly RatingSource[] = ['external', 'self', 'partner']

export function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : null
}

/** Half up, so 2.5 -> 3: the external raters' mean counts as a whole rating in a vote. */
export function roundRating(value: number): number {
  return Math.floor(value + 0.5)
}

/**
 * The external raters' rating of one window and target. K-EmoCon ships the authors' own aggregate
 * (rater 'aggregate', from aggregated_external_annotations) beside the five raters R1..R5; where the
 * aggregate has a value it is used as published (it is what the EmoHeal notebook trained on), otherwise
 * the plain mean of the individual raters who rated the window.
 */
export function externalRating(
  aggregate: number | null | undefined,
  raters: readonly (number | null)[]
): number | null {
  if (aggregate !== null && aggregate !== undefined) return aggregate
  return mean(raters.filter((v): v is number => v !== null))
}

/**
 * Majority of self, partner and external, each rounded to a whole rating: the value at least two of the
 * rated sources share. With one source rated, its value. Without a majority (three different values, or
 * two that differ) the first rated source in TIE_PRIORITY wins. Null when no source rated the window.
 */
export function majorityRating(values: SourceValues): number | null {
  const rated = TIE_PRIORITY.flatMap((source) =>
    values[source] === null ? [] : [roundRating(values[source])]
  )
  if (rated.length === 0) return null
  for (const candidate of rated) {
    if (rated.filter((v) => v === candidate).length >= 2) return candidate
  }
  return rated[0]
}

/** Weighted mean of the rated sources; a missing source's weight is left out, not counted as zero rating. */
export function weightedRating(values: SourceValues, weights: SourceWeights = EQUAL_WEIGHTS): number | null {
  let sum = 0
  let weightSum = 0
  for (const source of TIE_PRIORITY) {
    const value = values[source]
    if (value === null || weights[source] <= 0) continue
    sum += value * weights[source]
    weightSum += weights[source]
  }
  return weightSum > 0 ? sum / weightSum : null
}

/** 1 ("high") above the threshold, 0 at or below it: the paper's `<= 2 -> low` with threshold 2. */
export function binaryClass(value: number | null, threshold: number): 0 | 1 | null {
  if (value === null) return null
  return value > threshold ? 1 : 0
}
