/**
 * Agreement statistics on whole ratings (1..5). Each returns null where the statistic is undefined
 * (no pairs, or no variation to agree beyond chance on).
 */

type Pair = readonly [number, number]

function categoriesOf(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b)
}

/** Observed and chance-expected proportions of each (first, second) category pair. */
function tables(pairs: readonly Pair[]): {
  categories: number[]
  observed: number[][]
  expected: number[][]
} {
  const categories = categoriesOf(pairs.flat())
  const index = new Map(categories.map((c, i) => [c, i]))
  const k = categories.length
  const observed = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (const [a, b] of pairs) observed[index.get(a)!][index.get(b)!] += 1 / pairs.length
  const rows = observed.map((row) => row.reduce((s, v) => s + v, 0))
  const columns = categories.map((_, j) => observed.reduce((s, row) => s + row[j], 0))
  const expected = rows.map((r) => columns.map((c) => r * c))
  return { categories, observed, expected }
}

function weightedDisagreement(
  pairs: readonly Pair[],
  weight: (a: number, b: number) => number
): number | null {
  if (pairs.length === 0) return null
  const { categories, observed, expected } = tables(pairs)
  let observedSum = 0
  let expectedSum = 0
  categories.forEach((a, i) =>
    categories.forEach((b, j) => {
      observedSum += weight(a, b) * observed[i][j]
      expectedSum += weight(a, b) * expected[i][j]
    })
  )
  return expectedSum === 0 ? null : 1 - observedSum / expectedSum
}

/** Cohen's kappa: (p_o - p_e) / (1 - p_e), the same as weighted kappa with 0/1 disagreement weights. */
export function cohenKappa(pairs: readonly Pair[]): number | null {
  return weightedDisagreement(pairs, (a, b) => (a === b ? 0 : 1))
}

/** Quadratic-weighted kappa: disagreement weighted by the squared distance between the ratings. */
export function quadraticKappa(pairs: readonly Pair[]): number | null {
  return weightedDisagreement(pairs, (a, b) => (a - b) ** 2)
}

/**
 * Krippendorff's alpha with the ordinal metric. `units` holds each unit's ratings (missing ones left
 * out); units with fewer than two ratings cannot be paired and are not counted.
 * alpha = 1 - (n - 1) * sum_ck o_ck d2_ck / sum_ck n_c n_k d2_ck, with the coincidence matrix
 * o_ck = sum_u (pairs (c,k) in u) / (m_u - 1) and d2_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2.
 */
export function krippendorffOrdinalAlpha(units: readonly (readonly number[])[]): number | null {
  const pairable = units.filter((u) => u.length >= 2)
  if (pairable.length === 0) return null
  const categories = categoriesOf(pairable.flat())
  const index = new Map(categories.map((c, i) => [c, i]))
  const k = categories.length
  const coincidence = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (const unit of pairable) {
    for (let i = 0; i < unit.length; i++) {
      for (let j = 0; j < unit.length; j++) {
        if (i !== j) coincidence[index.get(unit[i])!][index.get(unit[j])!] += 1 / (unit.length - 1)
      }
    }
  }
  const totals = coincidence.map((row) => row.reduce((s, v) => s + v, 0))
  const n = totals.reduce((s, v) => s + v, 0)
  const distance = (c: number, e: number): number => {
    const [low, high] = c <= e ? [c, e] : [e, c]
    let between = 0
    for (let g = low; g <= high; g++) between += totals[g]
    return (between - (totals[c] + totals[e]) / 2) ** 2
  }
  let observed = 0
  let expected = 0
  for (let c = 0; c < k; c++) {
    for (let e = 0; e < k; e++) {
      const d2 = distance(c, e)
      observed += coincidence[c][e] * d2
      expected += totals[c] * totals[e] * d2
    }
  }
  return expected === 0 ? null : 1 - ((n - 1) * observed) / expected
}
