/** A seeded generator (mulberry32): every random choice of a run comes from one of these. */
export class Random {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  integer(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive)
  }

  shuffle<T>(items: T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.integer(i + 1)
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out
  }
}

/**
 * Runs `body` with Math.random drawn from a seeded generator. tfjs draws dropout masks and unseeded
 * initialisers from Math.random, and the model's layers take no dropout seed, so this is what makes a
 * seeded run repeatable. Restored afterwards; only safe where nothing else in the thread runs meanwhile.
 */
export async function withSeededMathRandom<T>(seed: number | undefined, body: () => Promise<T>): Promise<T> {
  if (seed === undefined) return body()
  const original = Math.random
  const random = new Random(seed)
  Math.random = () => random.next()
  try {
    return await body()
  } finally {
    Math.random = original
  }
}
