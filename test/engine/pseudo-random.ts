/**
 * Deterministic numbers in [-1, 1) without Math.random (a linear congruential generator), so that a failing
 * case can be reproduced from its seed.
 */
export function pseudoRandom(seed: number, count: number): number[] {
  let state = seed
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 30 - 1
  })
}
