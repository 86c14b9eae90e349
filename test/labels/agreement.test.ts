import { afterEach, describe, expect, it } from 'vitest'
import { cohenKappa, krippendorffOrdinalAlpha, quadraticKappa } from '../../src-main/labels/agreement'
import { labelAgreement } from '../../src-main/labels/label-agreement'
import type { StudyStore } from '../../src-main/store/study-store'
import { report, SESSION_START, studyWithSession } from '../study-fixture'

const repeat = (pair: [number, number], times: number): [number, number][] =>
  Array.from({ length: times }, () => pair)

/**
 * 10 windows: both 1 four times, both 2 three times, (1,2) twice, (2,1) once.
 * p_o = 7/10. First rater: 1 six times, 2 four; second: 1 five, 2 five.
 * p_e = 0.6*0.5 + 0.4*0.5 = 0.5, kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
 */
const twoByTwo = [...repeat([1, 1], 4), ...repeat([2, 2], 3), ...repeat([1, 2], 2), ...repeat([2, 1], 1)]

/**
 * (1,1) (2,2) (3,3) (1,2) (2,3) (3,2). Cohen: p_o = 3/6; first rater 1/3 each, second 1:1/6 2:3/6 3:2/6;
 * p_e = (1/3)(1/6 + 3/6 + 2/6) = 1/3, kappa = (1/2 - 1/3)/(2/3) = 1/4.
 * Quadratic: observed mean squared distance = (1+1+1)/6 = 1/2; expected = (1/3) sum_j q_j sum_i (i-j)^2
 * = (1/3)(5/6 + 3/6*2 + 2/6*5) = (1/3)(21/6) = 7/6; weighted kappa = 1 - (1/2)/(7/6) = 4/7.
 */
const threeCategories: [number, number][] = [
  [1, 1],
  [2, 2],
  [3, 3],
  [1, 2],
  [2, 3],
  [3, 2]
]

describe('agreement statistics worked out by hand', () => {
  it("Cohen's kappa", () => {
    expect(cohenKappa(twoByTwo)).toBeCloseTo(0.4, 12)
    expect(cohenKappa(threeCategories)).toBeCloseTo(0.25, 12)
    expect(
      cohenKappa([
        [1, 1],
        [2, 2],
        [3, 3]
      ])
    ).toBeCloseTo(1, 12)
    // One category only: p_e = 1, chance explains everything, kappa is undefined.
    expect(
      cohenKappa([
        [3, 3],
        [3, 3]
      ])
    ).toBeNull()
    expect(cohenKappa([])).toBeNull()
  })

  it('quadratic-weighted kappa', () => {
    expect(quadraticKappa(threeCategories)).toBeCloseTo(4 / 7, 12)
    // With two categories the squared distance is 0/1: the same as Cohen's.
    expect(quadraticKappa(twoByTwo)).toBeCloseTo(0.4, 12)
  })

  it("Krippendorff's ordinal alpha", () => {
    /*
     * Units [1,1] [2,3] [3,3,3] [1,2] and [5] (alone: not pairable).
     * Coincidences: o11 = 2, o23 = o32 = 1, o33 = 6 pairs * 1/2 = 3, o12 = o21 = 1; n1 = 3, n2 = 2, n3 = 4, n = 9.
     * Ordinal d2: d12 = ((3+2) - (3+2)/2)^2 = 6.25, d23 = ((2+4) - (2+4)/2)^2 = 9, d13 = (9 - (3+4)/2)^2 = 30.25.
     * Observed sum o d2 = 2*6.25 + 2*9 = 30.5; expected sum n_c n_k d2 = 2*(3*2*6.25 + 2*4*9 + 3*4*30.25) = 945.
     * alpha = 1 - 8 * 30.5 / 945 = 701/945.
     */
    expect(krippendorffOrdinalAlpha([[1, 1], [2, 3], [3, 3, 3], [1, 2], [5]])).toBeCloseTo(701 / 945, 12)
    // Order of values inside a unit does not matter.
    expect(
      krippendorffOrdinalAlpha([
        [1, 1],
        [3, 2],
        [3, 3, 3],
        [2, 1]
      ])
    ).toBeCloseTo(701 / 945, 12)
    expect(krippendorffOrdinalAlpha([[4], [2]])).toBeNull()
    expect(
      krippendorffOrdinalAlpha([
        [2, 2],
        [2, 2, 2]
      ])
    ).toBeNull()
  })

  it("Krippendorff's ordinal alpha on the published example (Krippendorff 2011: 0.815)", () => {
    // Four observers, twelve units, '.' = missing, as in "Computing Krippendorff's alpha-reliability".
    const observers = [
      '1 2 3 3 2 1 4 1 2 . . .',
      '1 2 3 3 2 2 4 1 2 5 . 3',
      '. 3 3 3 2 3 4 2 2 5 1 .',
      '1 2 3 3 2 4 4 1 2 5 1 .'
    ]
    const grid = observers.map((row) => row.split(' ').map((cell) => (cell === '.' ? null : Number(cell))))
    const units = grid[0].map((_, u) => grid.map((row) => row[u]).filter((v): v is number => v !== null))
    expect(krippendorffOrdinalAlpha(units)).toBeCloseTo(0.815, 3)
  })
})

describe('agreement per session and per study', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  it('pairs the sources on the windows both rated and pools sessions for the study', () => {
    const fixture = studyWithSession(120_000)
    study = fixture.study
    // Self vs partner arousal = twoByTwo's first 5 pairs in session 1, the other 5 in session 2.
    const add = (sessionId: number, pairs: [number, number][]) =>
      fixture.annotations.insertAnnotations(
        sessionId,
        pairs.flatMap(([a, b], i) => [
          report('self', 5 * (i + 1), a, null),
          report('partner', 5 * (i + 1), b, null)
        ])
      )
    const second = study.createSession({
      participantId: 1,
      name: 'Debate 2',
      startMs: SESSION_START,
      timezone: 'UTC',
      durationMs: null,
      notes: ''
    })
    const order = [
      twoByTwo[0],
      twoByTwo[4],
      twoByTwo[7],
      twoByTwo[9],
      twoByTwo[1],
      twoByTwo[5],
      twoByTwo[8],
      twoByTwo[2],
      twoByTwo[6],
      twoByTwo[3]
    ]
    add(fixture.sessionId, order.slice(0, 5))
    add(second.id, order.slice(5))
    // An external rating on one window only: pairs with it count 1.
    fixture.annotations.insertAnnotations(fixture.sessionId, [report('external', 5, 2.4, null, 'aggregate')])

    const agreement = labelAgreement(study, fixture.sessionId)
    const sessionPairs = agreement.session!.arousal.pairs
    expect(sessionPairs.map((p) => [p.first, p.second, p.count])).toEqual([
      ['self', 'partner', 5],
      ['self', 'external', 1],
      ['partner', 'external', 1]
    ])
    expect(sessionPairs[0].kappa).toBeCloseTo(cohenKappa(order.slice(0, 5))!, 12)
    expect(agreement.study.sessionCount).toBe(2)
    expect(agreement.study.windowCount).toBe(10)
    expect(agreement.study.arousal.pairs[0].count).toBe(10)
    expect(agreement.study.arousal.pairs[0].kappa).toBeCloseTo(0.4, 12)
    expect(agreement.study.valence.pairs[0].count).toBe(0)
    expect(agreement.study.valence.alpha).toBeNull()
    // Session 1's first window has self 1, partner 1 and external round(2.4) = 2 as one unit of three.
    expect(agreement.study.arousal.units).toBe(10)
    const units = order.map(([a, b], i) => (i === 0 ? [a, b, 2] : [a, b]))
    expect(agreement.study.arousal.alpha).toBeCloseTo(krippendorffOrdinalAlpha(units)!, 12)
  })
})
