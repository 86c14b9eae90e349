import { afterEach, describe, expect, it } from 'vitest'
import { ConflictError, NotFoundError, ValidationError } from '../../src-main/errors'
import { RevisionStore } from '../../src-main/labels/revision-store'
import { correctLabel, windowTable } from '../../src-main/labels/window-table'
import { windowLabels } from '../../src-main/labels/window-labels'
import type { StudyStore } from '../../src-main/store/study-store'
import { report, revisionRowsIn, SESSION_START, studyWithSession } from '../study-fixture'

describe('label corrections on a study file', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  function setUp() {
    const fixture = studyWithSession(60_000)
    study = fixture.study
    fixture.annotations.insertAnnotations(fixture.sessionId, [
      report('self', 5, 2, 3),
      report('external', 5, 1, 4, 'aggregate'),
      report('self', 10, 4, 4),
      report('external', 10, 5, 2, 'aggregate')
    ])
    return { study: fixture.study, sessionId: fixture.sessionId, path: fixture.study.path }
  }

  it('writes a revision with old and new value and reason, applies it, and reverts it', () => {
    const { study, sessionId, path } = setUp()
    const reportEndMs = SESSION_START + 5_000
    const revision = correctLabel(study, {
      sessionId,
      target: 'arousal',
      reportEndMs,
      value: 4,
      reason: '  rater mis-click  ',
      source: 'external'
    })
    expect(revision).toMatchObject({ oldValue: 1, newValue: 4, reason: 'rater mis-click', revertedMs: null })

    // Another connection reads what was written, as any other tool would.
    expect(revisionRowsIn(path)).toEqual([
      {
        target: 'arousal',
        window_end_ms: reportEndMs,
        old_value: 1,
        new_value: 4,
        reason: 'rater mis-click',
        reverted_ms: null,
        revert_reason: null
      }
    ])

    // The correction holds whichever source is chosen, and only for its target and window.
    for (const source of ['self', 'external', 'majority'] as const) {
      const [first, second] = windowLabels(study, sessionId, { source, target: 'arousal' })
      expect([first.arousal, first.corrected, first.arousalCorrected, first.valenceCorrected]).toEqual([
        4,
        true,
        true,
        false
      ])
      expect(second.corrected).toBe(false)
    }
    expect(windowLabels(study, sessionId, { source: 'self', target: 'valence' })[0]).toMatchObject({
      valence: 3,
      corrected: false
    })
    const table = windowTable(study, { sessionId, source: 'external', target: 'arousal', threshold: 2 })
    expect(table.rows.map((r) => [r.label, r.labelClass])).toEqual([
      [4, 1],
      [5, 1]
    ])
    expect(table.balance).toEqual({ low: 0, high: 2, unlabelled: 0, highFraction: 1 })

    const reverted = new RevisionStore(study.db).revert(revision.id, 'the rater was right')
    expect(reverted.revertedMs).not.toBeNull()
    expect(revisionRowsIn(path)[0]).toMatchObject({
      new_value: 4,
      reverted_ms: reverted.revertedMs,
      revert_reason: 'the rater was right'
    })
    expect(windowLabels(study, sessionId, { source: 'external' })[0]).toMatchObject({
      arousal: 1,
      corrected: false
    })
    expect(() => new RevisionStore(study.db).revert(revision.id, 'again')).toThrow(ConflictError)
  })

  it('stacks corrections: the latest not reverted is in force, and its old value is the label it replaced', () => {
    const { study, sessionId } = setUp()
    const reportEndMs = SESSION_START + 10_000
    const first = correctLabel(study, {
      sessionId,
      target: 'valence',
      reportEndMs,
      value: 3,
      reason: 'first look',
      source: 'self'
    })
    const second = correctLabel(study, {
      sessionId,
      target: 'valence',
      reportEndMs,
      value: null,
      reason: 'unusable: sensor off wrist',
      source: 'self'
    })
    expect([first.oldValue, second.oldValue]).toEqual([4, 3])
    expect(windowLabels(study, sessionId, { source: 'self' })[1]).toMatchObject({
      valence: null,
      valenceCorrected: true
    })
    const revisions = new RevisionStore(study.db)
    revisions.revert(second.id, 'sensor was fine')
    expect(windowLabels(study, sessionId, { source: 'self' })[1].valence).toBe(3)
    expect(revisions.list(sessionId).map((r) => [r.id, r.revertedMs !== null])).toEqual([
      [second.id, true],
      [first.id, false]
    ])
  })

  it('refuses a correction without a reason, of a window that does not exist, or out of range', () => {
    const { study, sessionId } = setUp()
    const reportEndMs = SESSION_START + 5_000
    expect(() =>
      correctLabel(study, {
        sessionId,
        target: 'arousal',
        reportEndMs,
        value: 3,
        reason: '   ',
        source: 'self'
      })
    ).toThrow(ValidationError)
    expect(() =>
      correctLabel(study, {
        sessionId,
        target: 'arousal',
        reportEndMs: reportEndMs + 1,
        value: 3,
        reason: 'x',
        source: 'self'
      })
    ).toThrow(NotFoundError)
    expect(() =>
      correctLabel(study, {
        sessionId,
        target: 'arousal',
        reportEndMs,
        value: 6,
        reason: 'x',
        source: 'self'
      })
    ).toThrow(ValidationError)
    expect(() => new RevisionStore(study.db).revert(999, 'x')).toThrow(NotFoundError)
    expect(revisionRowsIn(study.path)).toEqual([])
  })

  it('keeps a correction with its report when the alignment offset changes', () => {
    const { study, sessionId } = setUp()
    correctLabel(study, {
      sessionId,
      target: 'arousal',
      reportEndMs: SESSION_START + 10_000,
      value: 2,
      reason: 'fix',
      source: 'self'
    })
    study.setAlignmentOffset(sessionId, 2_500)
    const window = windowLabels(study, sessionId, { source: 'self', target: 'arousal' })[1]
    expect([window.endMs - SESSION_START, window.arousal, window.corrected]).toEqual([12_500, 2, true])
  })
})
