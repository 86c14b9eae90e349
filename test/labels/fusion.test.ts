import { afterEach, describe, expect, it } from 'vitest'
import {
  binaryClass,
  externalRating,
  majorityRating,
  roundRating,
  weightedRating
} from '../../src-main/labels/fusion'
import { windowLabels } from '../../src-main/labels/window-labels'
import type { StudyStore } from '../../src-main/store/study-store'
import { report, studyWithSession } from '../study-fixture'

describe('fusion rules', () => {
  it('takes the published aggregate where it has a value, else the mean of the raters present', () => {
    expect(externalRating(4, [1, 1, 1])).toBe(4)
    // (2 + 3 + 5) / 3, the missing rater left out.
    expect(externalRating(null, [2, null, 3, 5])).toBeCloseTo(10 / 3, 12)
    expect(externalRating(undefined, [null, null])).toBeNull()
  })

  it('rounds halves up', () => {
    expect([roundRating(2.5), roundRating(2.49), roundRating(3.5), roundRating(4)]).toEqual([3, 2, 4, 4])
  })

  it('takes the value two sources share, after rounding the external mean', () => {
    expect(majorityRating({ self: 2, partner: 4, external: 4 })).toBe(4)
    expect(majorityRating({ self: 2, partner: 4, external: 2.4 })).toBe(2)
    expect(majorityRating({ self: 3, partner: 3, external: 5 })).toBe(3)
  })

  it('breaks ties for external, then self, and takes a lone source as it is', () => {
    expect(majorityRating({ self: 1, partner: 2, external: 3 })).toBe(3)
    expect(majorityRating({ self: 1, partner: 5, external: null })).toBe(1)
    expect(majorityRating({ self: null, partner: 5, external: 3.6 })).toBe(4)
    expect(majorityRating({ self: null, partner: 2, external: null })).toBe(2)
    expect(majorityRating({ self: null, partner: null, external: null })).toBeNull()
  })

  it('weights the rated sources and leaves a missing source out', () => {
    // (1*2 + 2*4 + 1*5) / 4 = 15/4
    expect(
      weightedRating({ self: 2, partner: 4, external: 5 }, { self: 1, partner: 2, external: 1 })
    ).toBeCloseTo(3.75, 12)
    // Partner missing: (1*2 + 1*5) / 2
    expect(
      weightedRating({ self: 2, partner: null, external: 5 }, { self: 1, partner: 2, external: 1 })
    ).toBeCloseTo(3.5, 12)
    // Only a zero-weighted source rated: no label.
    expect(
      weightedRating({ self: 2, partner: null, external: null }, { self: 0, partner: 1, external: 1 })
    ).toBeNull()
    expect(weightedRating({ self: 1, partner: 2, external: 4 })).toBeCloseTo(7 / 3, 12)
  })

  it('puts a rating above the threshold in class 1', () => {
    expect([1, 2, 2.01, 3, 5].map((v) => binaryClass(v, 2))).toEqual([0, 0, 1, 1, 1])
    expect(binaryClass(3, 3)).toBe(0)
    expect(binaryClass(null, 3)).toBeNull()
  })
})

describe('fused sources from a study file', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  it('fuses self, partner and the external raters per window and target', () => {
    const fixture = studyWithSession(60_000)
    study = fixture.study
    fixture.annotations.insertAnnotations(fixture.sessionId, [
      // Window 5: aggregate present, raters ignored for the external value.
      report('self', 5, 1, 5),
      report('partner', 5, 2, 4),
      report('external', 5, 2, 1, 'R1'),
      report('external', 5, 3, 1, 'R2'),
      report('external', 5, 4, 2, 'aggregate'),
      // Window 10: no aggregate; raters R1..R3 with one missing valence.
      report('self', 10, 5, 2),
      report('partner', 10, 1, 2),
      report('external', 10, 2, 3, 'R1'),
      report('external', 10, 3, null, 'R2'),
      report('external', 10, 3, 4, 'R3')
    ])
    const of = (source: 'external' | 'majority' | 'weighted') =>
      windowLabels(study!, fixture.sessionId, { source, weights: { self: 2, partner: 1, external: 1 } }).map(
        (w) => [w.arousal, w.valence]
      )
    const external = of('external')
    expect(external[0]).toEqual([4, 2])
    expect(external[1][0]).toBeCloseTo(8 / 3, 12)
    expect(external[1][1]).toBeCloseTo(3.5, 12)
    // Window 5 arousal 1,2,4: no majority -> external 4; valence 5,4,2 -> external 2.
    // Window 10 arousal 5,1,round(2.67)=3 -> external 3; valence 2,2,round(3.5)=4 -> 2.
    expect(of('majority')).toEqual([
      [4, 2],
      [3, 2]
    ])
    // Weighted 2:1:1 -> window 5 arousal (2+2+4)/4 = 2, valence (10+4+2)/4 = 4;
    // window 10 arousal (10+1+8/3)/4, valence (4+2+3.5)/4.
    const weighted = of('weighted')
    expect(weighted[0]).toEqual([2, 4])
    expect(weighted[1][0]).toBeCloseTo((11 + 8 / 3) / 4, 12)
    expect(weighted[1][1]).toBeCloseTo(9.5 / 4, 12)
  })
})
