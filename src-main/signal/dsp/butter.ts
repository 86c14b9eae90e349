import { ValidationError } from '../../errors'
import { requireRate } from './validate'
import { abs, add, type Complex, div, mul, scale, sqrt, sub } from './complex'

/**
 * Second-order sections, one row of six numbers per section: b0 b1 b2 a0 a1 a2 (a0 = 1), the
 * layout of scipy's `output='sos'`. Sections rather than one transfer function because the
 * polynomial form of a 0.05 Hz filter at 1000 Hz loses all precision in float64.
 */
export type Sos = number[][]

export type ButterType = 'lowpass' | 'highpass' | 'bandpass'

/**
 * Butterworth design, a port of scipy.signal.butter(order, cutoff, btype, fs=samplingRate,
 * output='sos') step by step (buttap, lp2lp/lp2hp/lp2bp_zpk with tan pre-warping, bilinear_zpk,
 * zpk2sos with 'nearest' pairing) so that the sections, and not only the response, equal scipy's.
 * `cutoff` is one frequency in Hz, or [low, high] for a band-pass.
 */
export function butter(
  order: number,
  cutoff: number | readonly [number, number],
  type: ButterType,
  samplingRate: number
): Sos {
  if (!Number.isInteger(order) || order < 1 || order > 24)
    throw new ValidationError(`order must be an integer from 1 to 24, got ${order}`, 'order')
  requireRate(samplingRate)
  const cutoffs = typeof cutoff === 'number' ? [cutoff] : [...cutoff]
  if ((type === 'bandpass') !== (cutoffs.length === 2))
    throw new ValidationError(
      `a ${type} takes ${type === 'bandpass' ? 'two cutoffs' : 'one cutoff'}`,
      'cutoff'
    )
  const nyquist = samplingRate / 2
  for (const c of cutoffs) {
    if (!Number.isFinite(c) || c <= 0 || c >= nyquist)
      throw new ValidationError(
        `cutoff ${c} Hz must lie strictly between 0 and the Nyquist frequency ${nyquist} Hz (sampling rate ${samplingRate} Hz)`,
        'cutoff'
      )
  }
  if (cutoffs.length === 2 && cutoffs[0] >= cutoffs[1])
    throw new ValidationError(`band ${cutoffs[0]}-${cutoffs[1]} Hz: low cutoff must be below high`, 'cutoff')

  // scipy normalises to fs = 2 before pre-warping; doing the same keeps rounding identical.
  const fs = 2
  const warped = cutoffs.map((c) => 2 * fs * Math.tan((Math.PI * (c / nyquist)) / fs))

  const poles: Complex[] = []
  for (let m = -order + 1; m < order; m += 2) {
    const t = (Math.PI * m) / (2 * order)
    poles.push([-Math.cos(t), -Math.sin(t)])
  }
  let z: Complex[] = []
  let p: Complex[]
  let k = 1
  if (type === 'lowpass') {
    p = poles.map((q) => scale(q, warped[0]))
    k = warped[0] ** order
  } else if (type === 'highpass') {
    p = poles.map((q) => div([warped[0], 0], q))
    z = poles.map((): Complex => [0, 0])
    let prod: Complex = [1, 0]
    for (const q of poles) prod = mul(prod, [-q[0], -q[1]])
    k = div([1, 0], prod)[0]
  } else {
    const bw = warped[1] - warped[0]
    const wo = Math.sqrt(warped[0] * warped[1])
    const lp = poles.map((q) => scale(q, bw / 2))
    const roots = lp.map((q) => sqrt(sub(mul(q, q), [wo * wo, 0])))
    p = [...lp.map((q, i) => add(q, roots[i])), ...lp.map((q, i) => sub(q, roots[i]))]
    z = poles.map((): Complex => [0, 0])
    k = bw ** order
  }

  // Bilinear transform (scipy bilinear_zpk with fs = 2, so fs2 = 4).
  const fs2: Complex = [2 * fs, 0]
  let num: Complex = [1, 0]
  let den: Complex = [1, 0]
  for (const q of z) num = mul(num, sub(fs2, q))
  for (const q of p) den = mul(den, sub(fs2, q))
  const zd: Complex[] = z.map((q) => div(add(fs2, q), sub(fs2, q)))
  const pd: Complex[] = p.map((q) => div(add(fs2, q), sub(fs2, q)))
  while (zd.length < pd.length) zd.push([-1, 0])
  k *= div(num, den)[0]
  return zpk2sos(zd, pd, k)
}

/** scipy's _cplxreal: reals (sorted) and one of each conjugate pair (positive imaginary, sorted). */
function cplxreal(values: Complex[]): Complex[] {
  const tolerance = 100 * Number.EPSILON
  const reals: Complex[] = []
  const complexes: Complex[] = []
  for (const v of values) {
    if (Math.abs(v[1]) <= tolerance * abs(v)) reals.push([v[0], 0])
    else if (v[1] > 0) complexes.push(v)
  }
  reals.sort((a, b) => a[0] - b[0])
  complexes.sort((a, b) => a[0] - b[0] || Math.abs(a[1]) - Math.abs(b[1]))
  return [...complexes, ...reals]
}

const isReal = (v: Complex): boolean => v[1] === 0

function nearestIndex(from: Complex[], to: Complex, which: 'any' | 'real' | 'complex'): number {
  const order = from.map((_, i) => i).sort((a, b) => abs(sub(from[a], to)) - abs(sub(from[b], to)))
  if (which === 'any') return order[0]
  const found = order.find((i) => isReal(from[i]) === (which === 'real'))
  if (found === undefined) throw new Error(`zpk2sos: no ${which} zero left to pair`)
  return found
}

/** numpy.poly of up to two roots, right-aligned into three coefficients as _single_zpksos does. */
function quadratic(roots: Complex[]): number[] {
  if (roots.length === 0) return [0, 0, 1]
  if (roots.length === 1) return [0, 1, -roots[0][0]]
  const [r1, r2] = roots
  return [1, -(r1[0] + r2[0]), mul(r1, r2)[0]]
}

/**
 * scipy.signal.zpk2sos, 'nearest' pairing, digital: poles closest to the unit circle go last so
 * that the sections with the most gain peaking are applied after the others have attenuated.
 */
function zpk2sos(zIn: Complex[], pIn: Complex[], k: number): Sos {
  let z = [...zIn]
  let p = [...pIn]
  const count = Math.max(z.length, p.length)
  while (p.length < count) p.push([0, 0])
  while (z.length < count) z.push([0, 0])
  const sections = Math.floor((count + 1) / 2)
  if (p.length % 2 === 1) {
    p.push([0, 0])
    z.push([0, 0])
  }
  z = cplxreal(z)
  p = cplxreal(p)
  const worst = (list: Complex[]): number => {
    let best = 0
    for (let i = 1; i < list.length; i++)
      if (Math.abs(1 - abs(list[i])) < Math.abs(1 - abs(list[best]))) best = i
    return best
  }
  const take = (list: Complex[], index: number): Complex => list.splice(index, 1)[0]
  const sos: Sos = Array.from({ length: sections }, () => [0, 0, 0, 0, 0, 0])
  const single = (si: number, zeros: Complex[], polesOf: Complex[]): void => {
    sos[si] = [...quadratic(zeros), ...quadratic(polesOf)]
  }
  for (let si = sections - 1; si >= 0; si--) {
    const p1 = take(p, worst(p))
    const realPolesLeft = p.filter(isReal).length
    if (isReal(p1) && realPolesLeft === 0) {
      const z1 = take(z, nearestIndex(z, p1, 'real'))
      single(si, [z1, [0, 0]], [p1, [0, 0]])
    } else if (
      p.length + 1 === z.length &&
      !isReal(p1) &&
      realPolesLeft === 1 &&
      z.filter(isReal).length === 1
    ) {
      const z1 = take(z, nearestIndex(z, p1, 'complex'))
      single(si, [z1, [z1[0], -z1[1]]], [p1, [p1[0], -p1[1]]])
    } else {
      let p2: Complex
      if (isReal(p1)) {
        const realIndices = p.map((v, i) => (isReal(v) ? i : -1)).filter((i) => i >= 0)
        p2 = take(p, realIndices[worst(realIndices.map((i) => p[i]))])
      } else p2 = [p1[0], -p1[1]]
      if (z.length > 0) {
        const z1 = take(z, nearestIndex(z, p1, 'any'))
        if (!isReal(z1)) single(si, [z1, [z1[0], -z1[1]]], [p1, p2])
        else if (z.length > 0) single(si, [z1, take(z, nearestIndex(z, p1, 'real'))], [p1, p2])
        else single(si, [z1], [p1, p2])
      } else single(si, [], [p1, p2])
    }
  }
  for (let j = 0; j < 3; j++) sos[0][j] *= k
  return sos
}
