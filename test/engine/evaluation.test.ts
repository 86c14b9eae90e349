import { describe, expect, it } from 'vitest'
import {
  autoGroups,
  holdoutFold,
  losoFolds,
  publishedGroupFolds,
  publishedGroups,
  stratifiedKFolds
} from '../../src-main/engine/evaluation/protocols'
import { reviewCandidates } from '../../src-main/engine/evaluation/review'
import { Random } from '../../src-main/engine/training/random'
import type { Window } from '../../src-main/engine/windows/types'

function windowsOf(participants: string[], perParticipant: number, random = new Random(1)): Window[] {
  return participants.flatMap((participant, p) =>
    Array.from({ length: perParticipant }, (_, k) => ({
      sessionId: p + 1,
      participant,
      endMs: k * 5000,
      rating: 0,
      label: random.next() < 0.2 + 0.1 * (p % 6) ? 1 : 0,
      inputs: []
    }))
  )
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b)

describe('protocols', () => {
  const windows = windowsOf(['1', '2', '3', '4', '5'], 20)

  it('LOSO tests each participant once and never trains on it', () => {
    const folds = losoFolds(windows)
    expect(folds).toHaveLength(5)
    expect(sorted(folds.flatMap((f) => f.test))).toEqual(windows.map((_, i) => i))
    for (const fold of folds) {
      expect(fold.train.some((i) => windows[i].participant === fold.testParticipants[0])).toBe(false)
      expect(fold.test.every((i) => windows[i].participant === fold.testParticipants[0])).toBe(true)
    }
  })

  it('stratified subject-dependent k-fold puts every participant and class in each fold in proportion', () => {
    const folds = stratifiedKFolds(windows, 4, new Random(2))
    expect(sorted(folds.flatMap((f) => f.test))).toEqual(windows.map((_, i) => i))
    for (const fold of folds) {
      expect(new Set(fold.train).size + new Set(fold.test).size).toBe(windows.length)
      for (const participant of ['1', '2', '3', '4', '5']) {
        const own = windows.filter((w) => w.participant === participant)
        const inTest = fold.test.filter((i) => windows[i].participant === participant)
        expect(Math.abs(inTest.length - own.length / 4)).toBeLessThanOrEqual(1)
        const highs = own.filter((w) => w.label === 1).length
        const testHighs = inTest.filter((i) => windows[i].label === 1).length
        expect(Math.abs(testHighs - highs / 4)).toBeLessThanOrEqual(1)
      }
    }
  })

  it('holds out a fixed set of participants', () => {
    const [fold] = holdoutFold(windows)
    expect(fold.testParticipants).toEqual(['5'])
    expect(holdoutFold(windows, ['2', '3'])[0].test).toHaveLength(40)
    expect(() => holdoutFold(windows, ['9'])).toThrow(/9/)
  })

  it('published groups need their participants and name the missing ones', () => {
    expect(() => publishedGroupFolds(windows)).toThrow(/8, 9, 10, 13, 15, 25, 19, 21, 23, 30, 22, 26, 29, 31/)
    const all = windowsOf(
      publishedGroups
        .flat()
        .map((id) => `P${id}`)
        .concat(['P1']),
      3
    )
    const { folds, groups } = publishedGroupFolds(all)
    expect(groups[0]).toEqual(['P4', 'P5', 'P8', 'P9'])
    expect(folds).toHaveLength(4)
    // P1 is in no published group: in no fold's training or test set.
    expect(folds.every((f) => [...f.train, ...f.test].every((i) => all[i].participant !== 'P1'))).toBe(true)
    expect(folds[0].test).toHaveLength(12)
  })

  it('auto groups are four groups of participants with similar label balance', () => {
    const many = windowsOf(
      Array.from({ length: 12 }, (_, i) => String(i + 1)),
      30
    )
    const groups = autoGroups(many)
    expect(groups).toHaveLength(4)
    expect(groups.flat().sort()).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)).sort())
    const share = (group: string[]) => {
      const own = many.filter((w) => group.includes(w.participant))
      return own.filter((w) => w.label === 1).length / own.length
    }
    const shares = groups.map(share)
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThan(0.15)
  })

  it('label review ranks confident disagreements first', () => {
    const base = { sessionId: 1, participant: 'a', rating: 1 }
    const items = reviewCandidates([
      { ...base, endMs: 1, label: 0, probabilities: [0.1, 0.9] },
      { ...base, endMs: 2, label: 0, probabilities: [0.3, 0.7] },
      { ...base, endMs: 3, label: 1, probabilities: [0.95, 0.05] },
      { ...base, endMs: 4, label: 1, probabilities: [0.02, 0.98] }
    ])
    expect(items.map((i) => i.endMs)).toEqual([3, 1])
    expect(items[0]).toMatchObject({ predicted: 0, confidence: 0.95 })
  })
})
