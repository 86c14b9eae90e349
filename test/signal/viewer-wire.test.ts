import { describe, expect, it } from 'vitest'
import { float32ToBase64 } from '../../src-main/signal/base64'
import {
  clampWindow,
  MIN_SPAN_MS,
  panWindow,
  timeToX,
  xToTime,
  zoomWindow
} from '../../src-renderer/src/viewer/time-window'
import { decodeView, valueAt, visiblePoints } from '../../src-renderer/src/viewer/wire'

describe('viewer wire format and time window', () => {
  it('decodes a view into flat points relative to the origin, NaN kept as a line break', () => {
    const view = {
      sessionId: 1,
      fromMs: 10_000,
      toMs: 20_000,
      baseMs: 10_000,
      columns: 10,
      streams: [
        {
          streamId: 1,
          name: 'eda',
          unit: 'µS',
          rateHz: 4,
          kind: 'continuous' as const,
          reduced: false,
          sampleCount: 3,
          channels: [
            {
              name: 'eda',
              times: float32ToBase64(new Float32Array([0, 250, 5000])),
              values: float32ToBase64(new Float32Array([1.5, NaN, 2.25])),
              count: 3,
              min: 1.5,
              max: 2.25
            }
          ]
        }
      ]
    }
    const decoded = decodeView(view, 4_000)
    expect(Array.from(decoded.streams[0].channels[0].points)).toEqual([6000, 1.5, 6250, NaN, 11_000, 2.25])
  })

  it('slices the visible points with one neighbour on each side and finds the nearest value', () => {
    const points = new Float64Array([0, 10, 100, 11, 200, 12, 300, 13, 400, 14])
    expect(Array.from(visiblePoints(points, 150, 250))).toEqual([100, 11, 200, 12, 300, 13])
    expect(Array.from(visiblePoints(points, 200, 300))).toEqual([100, 11, 200, 12, 300, 13, 400, 14])
    expect(Array.from(visiblePoints(points, 500, 600))).toEqual([400, 14])
    expect(valueAt(points, 140)).toBe(11)
    expect(valueAt(points, 160)).toBe(12)
    expect(valueAt(points, -50)).toBe(10)
    expect(valueAt(new Float64Array(0), 3)).toBeNull()
  })

  it('zooms around an anchor, pans, clamps to the session and maps pixels to time both ways', () => {
    const window = { fromMs: 1000, toMs: 11_000 }
    const zoomed = zoomWindow(window, 0.5, 3000)
    expect(zoomed).toEqual({ fromMs: 2000, toMs: 7000 })
    // The anchor keeps its place on screen: 20 % from the left before and after.
    expect((3000 - zoomed.fromMs) / (zoomed.toMs - zoomed.fromMs)).toBeCloseTo(0.2, 10)
    expect(zoomWindow(window, 1e-6, 5000).toMs - zoomWindow(window, 1e-6, 5000).fromMs).toBe(MIN_SPAN_MS)
    expect(panWindow(window, -500)).toEqual({ fromMs: 500, toMs: 10_500 })
    expect(clampWindow({ fromMs: -4000, toMs: 6000 }, 0, 60_000)).toEqual({ fromMs: 0, toMs: 10_000 })
    expect(clampWindow({ fromMs: 55_000, toMs: 65_000 }, 0, 60_000)).toEqual({ fromMs: 50_000, toMs: 60_000 })
    expect(clampWindow({ fromMs: -1, toMs: 100_000 }, 0, 60_000)).toEqual({ fromMs: 0, toMs: 60_000 })
    expect(timeToX(6000, window, 800)).toBe(400)
    expect(xToTime(timeToX(7777, window, 800), window, 800)).toBeCloseTo(7777, 9)
  })
})
