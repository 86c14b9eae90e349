import { ValidationError } from '../../errors'
import type { Sos } from './butter'
import { requireFinite } from './validate'

/*
 * Hand-written rather than taken from npm: fili's filtfilt runs forward then backward with no edge
 * padding and no steady-state initial conditions, so its first and last seconds differ from
 * scipy.signal.sosfiltfilt (and hence from NeuroKit2) by far more than the 1e-6 we promise.
 */

function requireSos(sos: Sos): void {
  if (
    sos.length === 0 ||
    sos.some((row) => row.length !== 6 || row[3] === 0 || row.some((v) => !Number.isFinite(v)))
  )
    throw new ValidationError('sos must hold at least one row of six finite numbers with a0 != 0', 'sos')
}

/** Each section's b0, b1, b2, a1, a2 divided by its a0, packed five a section. */
function normalized(sos: Sos): Float64Array {
  const packed = new Float64Array(sos.length * 5)
  sos.forEach(([b0, b1, b2, a0, a1, a2], s) =>
    packed.set([b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0], s * 5)
  )
  return packed
}

/**
 * Runs source[from], source[from + step], ... (step 1 forward, -1 backward; `count` samples) through every
 * direct-form-II-transposed section, writing target[to], target[to + step], ... (the same array for in place).
 * All sections for one sample before the next (as scipy's C loop does: one pass over memory instead of one per
 * section). `state` holds z0, z1 per section and is updated. One and two sections (every filter the DSP module
 * designs: order-2 low/high-pass, order-2 band-pass, order-4 low-pass) run with coefficients and state in local
 * variables, which V8 keeps in registers; the loads and stores of a state array per sample and section made the
 * general loop slower than scipy's.
 */
function cascade(
  coefficients: Float64Array,
  source: ArrayLike<number>,
  from: number,
  target: Float64Array,
  to: number,
  count: number,
  step: 1 | -1,
  state: Float64Array
): void {
  const sections = coefficients.length / 5
  if (sections === 1) return cascade1(coefficients, source, from, target, to, count, step, state)
  if (sections === 2) return cascade2(coefficients, source, from, target, to, count, step, state)
  for (let k = 0, i = from, j = to; k < count; k++, i += step, j += step) {
    let x = source[i]
    for (let s = 0, c = 0, z = 0; s < sections; s++, c += 5, z += 2) {
      const y = coefficients[c] * x + state[z]
      state[z] = coefficients[c + 1] * x - coefficients[c + 3] * y + state[z + 1]
      state[z + 1] = coefficients[c + 2] * x - coefficients[c + 4] * y
      x = y
    }
    target[j] = x
  }
}

function cascade1(
  c: Float64Array,
  source: ArrayLike<number>,
  from: number,
  target: Float64Array,
  to: number,
  count: number,
  step: number,
  state: Float64Array
): void {
  const b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[3], a2 = c[4] // prettier-ignore
  let z0 = state[0]
  let z1 = state[1]
  for (let k = 0, i = from, j = to; k < count; k++, i += step, j += step) {
    const x = source[i]
    const y = b0 * x + z0
    z0 = b1 * x - a1 * y + z1
    z1 = b2 * x - a2 * y
    target[j] = y
  }
  state[0] = z0
  state[1] = z1
}

function cascade2(
  c: Float64Array,
  source: ArrayLike<number>,
  from: number,
  target: Float64Array,
  to: number,
  count: number,
  step: number,
  state: Float64Array
): void {
  const b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[3], a2 = c[4] // prettier-ignore
  const d0 = c[5], d1 = c[6], d2 = c[7], e1 = c[8], e2 = c[9] // prettier-ignore
  let z0 = state[0]
  let z1 = state[1]
  let w0 = state[2]
  let w1 = state[3]
  for (let k = 0, i = from, j = to; k < count; k++, i += step, j += step) {
    const x = source[i]
    const y = b0 * x + z0
    z0 = b1 * x - a1 * y + z1
    z1 = b2 * x - a2 * y
    const v = d0 * y + w0
    w0 = d1 * y - e1 * v + w1
    w1 = d2 * y - e2 * v
    target[j] = v
  }
  state[0] = z0
  state[1] = z1
  state[2] = w0
  state[3] = w1
}

/**
 * Cascade of direct-form-II-transposed biquads (scipy.signal.sosfilt). `initial`, when given, is
 * one [z0, z1] pair per section and is not modified; returns the output and the final state.
 */
export function sosfilt(
  sos: Sos,
  signal: ArrayLike<number>,
  initial?: number[][]
): { output: Float64Array; final: number[][] } {
  requireSos(sos)
  requireFinite(signal)
  if (initial && (initial.length !== sos.length || initial.some((pair) => pair.length !== 2)))
    throw new ValidationError(`initial state needs one [z0, z1] pair per section (${sos.length})`, 'initial')
  const output = Float64Array.from(signal)
  const state = new Float64Array(sos.length * 2)
  if (initial) initial.forEach(([z0, z1], s) => state.set([z0, z1], s * 2))
  cascade(normalized(sos), output, 0, output, 0, output.length, 1, state)
  const final: number[][] = []
  for (let s = 0; s < sos.length; s++) final.push([state[s * 2], state[s * 2 + 1]])
  return { output, final }
}

/**
 * scipy.signal.sosfilt_zi: the state of each section at rest after a unit step, so a signal that
 * starts at x0 can be filtered from `zi * x0` without a start-up transient.
 */
export function sosfiltZi(sos: Sos): number[][] {
  requireSos(sos)
  let gain = 1
  return sos.map(([b0r, b1r, b2r, a0, a1r, a2r]) => {
    const [b0, b1, b2, a1, a2] = [b0r / a0, b1r / a0, b2r / a0, a1r / a0, a2r / a0]
    // lfilter_zi for a biquad, solved in closed form: (I - companion(a)^T) zi = b[1:] - a[1:] b0.
    const B0 = b1 - a1 * b0
    const B1 = b2 - a2 * b0
    const z0 = (B0 + B1) / (1 + a1 + a2)
    const zi = [gain * z0, gain * (B1 - a2 * z0)]
    gain *= (b0 + b1 + b2) / (1 + a1 + a2)
    return zi
  })
}

/**
 * scipy's default padding for sosfiltfilt: 3 * (2 * sections + 1), less one tap per section
 * pair whose b2 and a2 are both zero (first-order sections of odd-order designs).
 */
export function sosfiltfiltPadLength(sos: Sos): number {
  let zeroB2 = 0
  let zeroA2 = 0
  for (const row of sos) {
    if (row[2] === 0) zeroB2++
    if (row[5] === 0) zeroA2++
  }
  return 3 * (2 * sos.length + 1 - Math.min(zeroB2, zeroA2))
}

/**
 * Zero-phase filtering as scipy.signal.sosfiltfilt(sos, x) with its defaults (padtype='odd',
 * padlen from sosfiltfiltPadLength, sosfilt_zi initial conditions scaled by the first sample of
 * each pass). The magnitude response is squared, so an order-N design acts as order 2N.
 */
export function sosfiltfilt(sos: Sos, signal: ArrayLike<number>): Float64Array {
  requireSos(sos)
  const padLength = sosfiltfiltPadLength(sos)
  const n = signal.length
  if (n <= padLength) requireFinite(signal)
  if (n <= padLength)
    throw new ValidationError(
      `signal has ${n} samples; zero-phase filtering with these ${sos.length} sections pads ${padLength} samples on each side and needs at least ${padLength + 1}`,
      'signal'
    )
  // Odd extension: point-reflect about each end so the padded signal keeps value and slope there.
  const extended = new Float64Array(n + 2 * padLength)
  const first = signal[0]
  const last = signal[n - 1]
  for (let i = 0; i < padLength; i++) extended[i] = 2 * first - signal[padLength - i]
  for (let i = 0; i < padLength; i++) extended[padLength + n + i] = 2 * last - signal[n - 2 - i]
  const zi = sosfiltZi(sos)
  const coefficients = normalized(sos)
  const state = new Float64Array(sos.length * 2)
  const scaled = (x0: number): void => zi.forEach(([a, b], s) => state.set([a * x0, b * x0], s * 2))
  // The forward pass reads the signal itself between the two pads (no copy of it first), and the backward pass
  // walks the padded buffer down in place (no reversing it twice): two passes over memory in all.
  const total = extended.length
  scaled(extended[0])
  cascade(coefficients, extended, 0, extended, 0, padLength, 1, state)
  cascade(coefficients, signal, 0, extended, padLength, n, 1, state)
  cascade(coefficients, extended, padLength + n, extended, padLength + n, padLength, 1, state)
  // NaN and Infinity never leave an IIR filter's state: a non-finite state after the forward pass means a
  // non-finite sample (named by requireFinite) or, with finite samples, values so large the filter overflowed.
  if (!state.every(Number.isFinite)) {
    requireFinite(signal)
    throw new ValidationError(
      'zero-phase filtering overflowed: the samples are too large to filter',
      'signal'
    )
  }
  scaled(extended[total - 1])
  cascade(coefficients, extended, total - 1, extended, total - 1, total, -1, state)
  // A view, not a copy: its buffer also holds the pads.
  return extended.subarray(padLength, padLength + n)
}
