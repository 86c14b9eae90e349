/** Minimal complex arithmetic for filter design (poles and zeros); a tuple keeps it allocation-light. */
export type Complex = readonly [re: number, im: number]

export const add = (a: Complex, b: Complex): Complex => [a[0] + b[0], a[1] + b[1]]
export const sub = (a: Complex, b: Complex): Complex => [a[0] - b[0], a[1] - b[1]]
export const mul = (a: Complex, b: Complex): Complex => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
export const scale = (a: Complex, s: number): Complex => [a[0] * s, a[1] * s]
export const abs = (a: Complex): number => Math.hypot(a[0], a[1])

export function div(a: Complex, b: Complex): Complex {
  const d = b[0] * b[0] + b[1] * b[1]
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d]
}

/** Principal square root, as numpy's, so the band-pass transform picks the same pole branches. */
export function sqrt(a: Complex): Complex {
  const r = abs(a)
  if (r === 0) return [0, 0]
  const re = Math.sqrt((r + a[0]) / 2)
  const im = Math.sqrt((r - a[0]) / 2)
  return [re, a[1] < 0 ? -im : im]
}
