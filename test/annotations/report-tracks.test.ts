import { describe, expect, it } from 'vitest'
import type { Annotation } from '../../src-main/ipc/contract/annotations'
import { actionForKey } from '../../src-renderer/src/viewer/keymap'
import { reportWindows, stepPoints, windowAt } from '../../src-renderer/src/viewer/report-tracks'

let nextId = 1
function report(
  source: Annotation['source'],
  rater: string,
  startMs: number,
  arousal: number | null,
  valence: number | null
): Annotation {
  return {
    id: nextId++,
    sessionId: 1,
    source,
    rater,
    startMs,
    endMs: startMs + 5000,
    arousal,
    valence,
    emotions: {},
    note: ''
  }
}

describe('report tracks', () => {
  const reports = [
    report('self', '', 10_000, 3, 4),
    report('self', '', 15_000, 5, 1),
    report('self', '', 25_000, 2, 2),
    report('partner', '', 10_000, 1, 5),
    report('external', 'R1', 10_000, 2, 3),
    report('external', 'R2', 10_000, 4, null),
    report('external', 'R3', 10_000, 3, 5),
    report('manual', '', 0, 5, 5)
  ]

  it('shifts every window by the offset, averages external raters per window and leaves manual regions out', () => {
    const windows = reportWindows(reports, -1500)
    expect(windows.self.map((w) => [w.startMs, w.endMs, w.arousal])).toEqual([
      [8500, 13_500, 3],
      [13_500, 18_500, 5],
      [23_500, 28_500, 2]
    ])
    expect(windows.partner).toHaveLength(1)
    // (2 + 4 + 3) / 3 arousal; valence over the two raters who gave one: (3 + 5) / 2.
    expect(windows.external).toEqual([
      { source: 'external', startMs: 8500, endMs: 13_500, arousal: 3, valence: 4, raters: 3 }
    ])
  })

  it("prefers the raters' aggregate row when the import kept one", () => {
    const windows = reportWindows([...reports, report('external', 'aggregate', 10_000, 2.5, 3.5)], 0)
    expect(windows.external).toEqual([
      { source: 'external', startMs: 10_000, endMs: 15_000, arousal: 2.5, valence: 3.5, raters: 1 }
    ])
  })

  it('draws steps flat across each window and lifts the pen over a missing window', () => {
    const windows = reportWindows(reports, 0).self
    expect(stepPoints(windows, 'arousal', 10_000)).toEqual([
      [0, 3],
      [5000, 3],
      [5000, 5],
      [10_000, 5],
      [12_500, null],
      [15_000, 2],
      [20_000, 2]
    ])
    expect(windowAt(windows, 19_999)?.arousal).toBe(5)
    expect(windowAt(windows, 22_000)).toBeNull()
  })

  it('maps keys to viewer actions, using the physical digit under Shift', () => {
    const key = (key: string, extra: Partial<{ code: string; shiftKey: boolean; ctrlKey: boolean }> = {}) =>
      actionForKey({ key, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...extra })
    expect(key('3', { code: 'Digit3' })).toBe('arousal-3')
    expect(key('@', { code: 'Digit2', shiftKey: true })).toBe('valence-2')
    expect(key('z', { ctrlKey: true })).toBe('undo')
    expect(key('Z', { ctrlKey: true, shiftKey: true })).toBe('redo')
    expect(key('ArrowLeft', { shiftKey: true })).toBe('page-left')
    expect(key('6', { code: 'Digit6' })).toBeNull()
    expect(key('x')).toBeNull()
  })
})
