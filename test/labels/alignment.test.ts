import { afterEach, describe, expect, it } from 'vitest'
import {
  coverageOf,
  keepsWindow,
  recordingSpan,
  reportToSignal,
  signalToReport,
  windowOf
} from '../../src-main/labels/alignment'
import { windowLabels } from '../../src-main/labels/window-labels'
import type { StudyStore } from '../../src-main/store/study-store'
import { report, SESSION_START, studyWithSession } from '../study-fixture'

describe('alignment arithmetic', () => {
  it('moves report time onto signal time by the offset and back', () => {
    expect(reportToSignal(10_000, 1_500)).toBe(11_500)
    expect(reportToSignal(10_000, -2_500)).toBe(7_500)
    expect(signalToReport(reportToSignal(123_456, -789), -789)).toBe(123_456)
  })

  it('puts the window before the report end, shifted by the offset', () => {
    expect(windowOf(20_000, 0)).toEqual({ startMs: 15_000, endMs: 20_000 })
    expect(windowOf(20_000, 3_000)).toEqual({ startMs: 18_000, endMs: 23_000 })
    expect(windowOf(20_000, -1_000, 10_000)).toEqual({ startMs: 9_000, endMs: 19_000 })
  })

  it('measures how much of a window lies inside the recording', () => {
    const recording = { startMs: 0, endMs: 60_000 }
    expect(coverageOf({ startMs: 10_000, endMs: 15_000 }, recording)).toBe(1)
    // 2 s before the start, 3 s inside: 3/5.
    expect(coverageOf({ startMs: -2_000, endMs: 3_000 }, recording)).toBeCloseTo(0.6, 12)
    // 1 s inside at the end: 1/5.
    expect(coverageOf({ startMs: 59_000, endMs: 64_000 }, recording)).toBeCloseTo(0.2, 12)
    expect(coverageOf({ startMs: 60_000, endMs: 65_000 }, recording)).toBe(0)
    expect(coverageOf({ startMs: 0, endMs: 5_000 }, null)).toBeNull()
    expect([keepsWindow(0.2, 'keep'), keepsWindow(0.2, 'overlap'), keepsWindow(0.2, 'inside')]).toEqual([
      true,
      true,
      false
    ])
    expect([keepsWindow(0, 'overlap'), keepsWindow(1, 'inside'), keepsWindow(null, 'inside')]).toEqual([
      false,
      true,
      true
    ])
  })

  it('takes the recording from the streams where they have samples, else from start and duration', () => {
    const streams = [
      { startMs: 1_000, endMs: 50_000 },
      { startMs: 500, endMs: 40_000 },
      { startMs: null, endMs: null }
    ]
    expect(recordingSpan({ startMs: 0, durationMs: 10_000, streams })).toEqual({
      startMs: 500,
      endMs: 50_000
    })
    expect(recordingSpan({ startMs: 2_000, durationMs: 10_000, streams: [] })).toEqual({
      startMs: 2_000,
      endMs: 12_000
    })
    expect(recordingSpan({ startMs: 2_000, durationMs: null, streams: [] })).toBeNull()
  })
})

describe('windowLabels on a study file', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  it('makes one window per report time in signal time, with null where a source did not report', () => {
    const fixture = studyWithSession(60_000)
    study = fixture.study
    fixture.annotations.insertAnnotations(fixture.sessionId, [
      report('self', 5, 3, 4),
      report('self', 10, 2, null),
      // second 15: only the partner reported; second 20: self missing its arousal cell.
      report('partner', 15, 5, 1),
      report('self', 20, null, 2),
      report('partner', 10, 4, 4),
      // A region drawn by hand is not a periodic report and makes no window.
      {
        source: 'manual',
        rater: '',
        startMs: SESSION_START + 1_000,
        endMs: SESSION_START + 9_000,
        arousal: 5,
        valence: 5,
        emotions: {}
      }
    ])
    study.setAlignmentOffset(fixture.sessionId, 1_500)
    const windows = windowLabels(study, fixture.sessionId, { source: 'self' })
    expect(
      windows.map((w) => [w.startMs - SESSION_START, w.endMs - SESSION_START, w.arousal, w.valence])
    ).toEqual([
      [1_500, 6_500, 3, 4],
      [6_500, 11_500, 2, null],
      [11_500, 16_500, null, null],
      [16_500, 21_500, null, 2]
    ])
    expect(windows.map((w) => w.reportEndMs - SESSION_START)).toEqual([5_000, 10_000, 15_000, 20_000])
    expect(windows[2].sources.partner).toEqual({ arousal: 5, valence: 1 })
    expect(windows.every((w) => w.coverage === 1 && !w.corrected)).toBe(true)
  })

  it('keeps, clips or drops the windows at the recording edges by the edge rule', () => {
    const fixture = studyWithSession(30_000)
    study = fixture.study
    fixture.annotations.insertAnnotations(
      fixture.sessionId,
      [5, 10, 30, 35, 40].map((s) => report('external', s, 3, 3, 'aggregate'))
    )
    // A negative offset pulls the first window 2 s before the recording; the one at 35 s then ends 3 s past it.
    study.setAlignmentOffset(fixture.sessionId, -2_000)
    const ends = (edges: 'keep' | 'overlap' | 'inside') =>
      windowLabels(study!, fixture.sessionId, { source: 'external', edges }).map((w) => [
        (w.endMs - SESSION_START) / 1000,
        w.coverage
      ])
    expect(ends('keep')).toEqual([
      [3, 0.6],
      [8, 1],
      [28, 1],
      [33, 0.4],
      [38, 0]
    ])
    expect(ends('overlap')).toEqual([
      [3, 0.6],
      [8, 1],
      [28, 1],
      [33, 0.4]
    ])
    expect(ends('inside')).toEqual([
      [8, 1],
      [28, 1]
    ])
    // The default is 'overlap'.
    expect(windowLabels(study, fixture.sessionId, { source: 'external' })).toHaveLength(4)
  })

  it('makes windows of another length end at the same report times', () => {
    const fixture = studyWithSession(null)
    study = fixture.study
    fixture.annotations.insertAnnotations(fixture.sessionId, [
      report('self', 10, 1, 1),
      report('self', 20, 2, 2)
    ])
    const windows = windowLabels(study, fixture.sessionId, { source: 'self', windowMs: 8_000 })
    expect(windows.map((w) => [w.startMs - SESSION_START, w.endMs - SESSION_START, w.coverage])).toEqual([
      [2_000, 10_000, null],
      [12_000, 20_000, null]
    ])
  })
})
