import { describe, expect, it } from 'vitest'
import { augmentInput, augmentWindows, paperAugmentation } from '../../src-main/engine/training/augment'
import { Random } from '../../src-main/engine/training/random'
import type { InputShape, Window } from '../../src-main/engine/windows/types'

const shape: InputShape = { name: 'x', steps: 200, channels: 3 }

function ramp(): Float32Array {
  // Channel c at step k: (c + 1) * (k + 1), so every value is known.
  return Float32Array.from(
    { length: shape.steps * shape.channels },
    (_, i) => ((i % 3) + 1) * (Math.floor(i / 3) + 1)
  )
}

const column = (values: Float32Array, c: number) =>
  Array.from({ length: shape.steps }, (_, k) => values[k * shape.channels + c])
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)))

describe('augmentation', () => {
  it('jitter adds zero-mean noise of the asked SD and keeps the shape', () => {
    const x = ramp()
    const out = augmentInput(x, shape, { jitter: 0.5 }, new Random(1))
    expect(out.length).toBe(x.length)
    const noise = Array.from(out, (v, i) => v - x[i])
    expect(Math.abs(mean(noise))).toBeLessThan(0.05)
    expect(sd(noise)).toBeGreaterThan(0.45)
    expect(sd(noise)).toBeLessThan(0.55)
  })

  it('scaling multiplies each channel by one factor', () => {
    const x = ramp()
    const out = augmentInput(x, shape, { scaling: 0.2 }, new Random(2))
    const factors = [0, 1, 2].map((c) => column(out, c).map((v, k) => v / column(x, c)[k]))
    for (const f of factors) expect(Math.max(...f) - Math.min(...f)).toBeLessThan(1e-5)
    expect(new Set(factors.map((f) => f[0].toFixed(6))).size).toBe(3)
  })

  it('magnitude warping multiplies by a smooth curve near 1', () => {
    const x = ramp()
    const out = augmentInput(x, shape, { magnitudeWarp: 0.2 }, new Random(3))
    const curve = column(out, 0).map((v, k) => v / column(x, 0)[k])
    const steps = curve.slice(1).map((v, k) => Math.abs(v - curve[k]))
    expect(Math.max(...steps)).toBeLessThan(0.05)
    expect(sd(curve)).toBeGreaterThan(0.005)
  })

  it('time shift moves values along time, filling with the edge value', () => {
    const x = ramp()
    const out = augmentInput(x, shape, { timeShift: 0.1 }, new Random(4))
    const c0 = column(out, 0)
    const by = c0.findIndex((v) => v === c0[c0.length - 1]) // shifted values are a run of the ramp
    const differences = new Set(c0.slice(1).map((v, k) => v - c0[k]))
    expect([...differences].every((d) => d === 0 || d === 1)).toBe(true)
    expect(by).toBeGreaterThanOrEqual(0)
    expect(Math.abs(c0[100] - 101)).toBeLessThanOrEqual(20)
  })

  it('window slicing stretches a slice back to full length', () => {
    const x = ramp()
    const out = augmentInput(x, shape, { windowSlice: 0.5 }, new Random(5))
    const c0 = column(out, 0)
    expect(c0).toHaveLength(200)
    // Half the ramp stretched over 200 steps: a span of ~99 values, increasing with slope ~0.5.
    expect(c0[199] - c0[0]).toBeCloseTo(99, 0)
    expect(c0.slice(1).every((v, k) => v >= c0[k])).toBe(true)
  })

  it('doubles the training windows with the paper jitter and keeps labels; off means untouched', () => {
    const windows: Window[] = Array.from({ length: 10 }, (_, i) => ({
      sessionId: 1,
      participant: 'a',
      endMs: i,
      rating: 3,
      label: i % 2,
      inputs: [ramp()]
    }))
    const out = augmentWindows(windows, [shape], paperAugmentation, new Random(6))
    expect(out).toHaveLength(20)
    expect(out.slice(10).map((w) => w.label)).toEqual(windows.map((w) => w.label))
    const noise = Array.from(out[10].inputs[0], (v, i) => v - windows[0].inputs[0][i])
    expect(sd(noise)).toBeGreaterThan(0.008)
    expect(sd(noise)).toBeLessThan(0.012)
    expect(out[0]).toBe(windows[0])
    expect(augmentWindows(windows, [shape], {}, new Random(6))).toBe(windows)
  })
})
