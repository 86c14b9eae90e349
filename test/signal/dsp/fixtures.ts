import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Reads a JSON file written by test/fixtures/dsp/make_fixtures.py (scipy's reference outputs). */
export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../../fixtures/dsp', name), 'utf8')) as T
}

/** Largest absolute difference, divided by the reference's range (so it reads as a fraction of the signal). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`)
  let lo = Infinity
  let hi = -Infinity
  let worst = 0
  for (let i = 0; i < expected.length; i++) {
    lo = Math.min(lo, expected[i])
    hi = Math.max(hi, expected[i])
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]))
  }
  return worst / (hi - lo || 1)
}

/** How many of the planted indices have a detected one within `tolerance` samples. */
export function matched(planted: readonly number[], found: readonly number[], tolerance: number): number {
  return planted.filter((p) => found.some((f) => Math.abs(f - p) <= tolerance)).length
}
