import { ANNOTATION_COLUMNS, ANNOTATION_INTERVAL_MS } from '../kemocon/annotations'
import { latentMean, type LatentTrajectory } from './latent'
import type { Random } from './random'

/** One row of a K-EmoCon annotation file: seconds, then every other column by name. */
export type AnnotationRow = Record<string, number | null>

/** Who rates and how: a fixed personal bias (Likert points) and per-rating noise (SD, Likert points). */
export interface Rater {
  bias: number
  noise: number
}

/** Likert points per unit of latent arousal/valence: latent +-1 spans most of the 1..5 scale. */
const LIKERT_PER_LATENT = 2.2

function likert(latent: number, rater: Rater, random: Random): number {
  const value = Math.round(3 + LIKERT_PER_LATENT * latent + rater.bias + random.normal(0, rater.noise))
  return Math.min(5, Math.max(1, value))
}

function intensity(drive: number, random: Random): number {
  return Math.min(4, Math.max(1, Math.round(1.5 + 1.5 * drive + random.normal(0, 0.4))))
}

/** The K-EmoCon emotion columns, read off the perceived arousal and valence. */
function emotionCells(arousal: number, valence: number, random: Random): AnnotationRow {
  const row: AnnotationRow = {
    cheerful: intensity(0.6 * valence + 0.4 * arousal, random),
    happy: intensity(valence, random),
    angry: intensity(0.6 * arousal - 0.8 * valence - 0.4, random),
    nervous: intensity(0.7 * arousal - 0.4 * valence - 0.3, random),
    sad: intensity(-0.8 * valence - 0.4 * arousal - 0.4, random)
  }
  // BROMP-style tags: one of each group applies.
  const first = ['boredom', 'confusion', 'delight', 'concentration', 'frustration', 'surprise', 'none_1']
  let tag = 'concentration'
  if (random.chance(0.05)) tag = random.chance(0.5) ? 'confusion' : 'surprise'
  else if (arousal < -0.4) tag = 'boredom'
  else if (arousal > 0.4 && valence > 0.3) tag = 'delight'
  else if (arousal > 0.4 && valence < -0.3) tag = 'frustration'
  for (const name of first) row[name] = name === tag ? 1 : 0
  const second = ['confrustion', 'contempt', 'dejection', 'disgust', 'eureka', 'pride', 'sorrow', 'none_2']
  let other = 'none_2'
  if (valence < -0.5) other = arousal < 0 ? 'dejection' : 'contempt'
  else if (valence > 0.5 && arousal > 0.3) other = 'pride'
  for (const name of second) row[name] = name === other ? 1 : 0
  return row
}

/**
 * Ratings every 5 s of the debate, of the latent state averaged over the interval, as seen by one rater.
 * `seconds` is the interval's end counted from the debate start, as in K-EmoCon.
 */
export function rateDebate(
  random: Random,
  latent: LatentTrajectory,
  debateStartS: number,
  debateLengthS: number,
  rater: Rater
): AnnotationRow[] {
  const rows: AnnotationRow[] = []
  const intervalS = ANNOTATION_INTERVAL_MS / 1000
  for (let seconds = intervalS; seconds <= debateLengthS; seconds += intervalS) {
    const from = debateStartS + seconds - intervalS
    const arousal = latentMean(latent.arousal, from, from + intervalS)
    const valence = latentMean(latent.valence, from, from + intervalS)
    const row: AnnotationRow = {
      seconds,
      arousal: likert(arousal, rater, random),
      valence: likert(valence, rater, random),
      ...emotionCells(
        arousal + random.normal(0, rater.noise / 3),
        valence + random.normal(0, rater.noise / 3),
        random
      )
    }
    rows.push(row)
  }
  return rows
}

/** The aggregated external rating: the median of the raters' ratings of each interval (an integer 1..5). */
export function aggregateRatings(ratings: AnnotationRow[][]): AnnotationRow[] {
  return ratings[0].map((first, index) => {
    const row: AnnotationRow = { seconds: first.seconds }
    for (const column of ANNOTATION_COLUMNS.slice(1)) {
      const values = ratings
        .map((rows) => rows[index][column])
        .filter((value): value is number => value !== null && value !== undefined)
        .sort((a, b) => a - b)
      row[column] = values.length === 0 ? null : values[Math.floor(values.length / 2)]
    }
    return row
  })
}
