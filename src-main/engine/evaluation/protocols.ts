import { ValidationError } from '../../errors'
import { Random } from '../training/random'
import type { Window } from '../windows/types'

export type Protocol = 'loso' | 'kfold' | 'holdout' | 'groups'

/** Indices into the window list. */
export interface Fold {
  name: string
  train: number[]
  test: number[]
  testParticipants: string[]
}

/** The published split (Oh-yk/EmoHEAL, src/main.ipynb): four fixed groups of K-EmoCon participant ids. */
export const publishedGroups: number[][] = [
  [4, 5, 8, 9],
  [10, 13, 15, 25],
  [19, 21, 23, 30],
  [22, 26, 29, 31]
]

/** K-EmoCon participant id of a participant code: "4", "P4" and "p04" all read as 4. */
export function participantNumber(code: string): number | null {
  const match = /^p?0*(\d+)$/i.exec(code.trim())
  return match ? Number(match[1]) : null
}

function participantsOf(windows: Window[]): string[] {
  return [...new Set(windows.map((window) => window.participant))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true })
  )
}

function foldOfGroups(windows: Window[], groups: string[][], prefix: string): Fold[] {
  return groups.map((group, index) => {
    const members = new Set(group)
    const grouped = new Set(groups.flat())
    const test: number[] = []
    const train: number[] = []
    windows.forEach((window, i) => {
      if (members.has(window.participant)) test.push(i)
      else if (grouped.has(window.participant)) train.push(i)
    })
    return { name: `${prefix} ${index + 1}: ${group.join(', ')}`, train, test, testParticipants: group }
  })
}

/** Leave-one-subject-out: one fold per participant. */
export function losoFolds(windows: Window[]): Fold[] {
  const participants = participantsOf(windows)
  if (participants.length < 2)
    throw new ValidationError(
      `LOSO needs two participants or more, the windows have ${participants.length}`,
      'protocol'
    )
  return foldOfGroups(
    windows,
    participants.map((p) => [p]),
    'participant'
  ).map((fold) => ({ ...fold, name: `participant ${fold.testParticipants[0]}` }))
}

/**
 * Stratified subject-dependent k-fold: each participant's windows of each class are shuffled and dealt
 * round-robin over the k folds, so every fold holds every participant and both classes in proportion.
 */
export function stratifiedKFolds(windows: Window[], k: number, random: Random): Fold[] {
  if (!Number.isInteger(k) || k < 2)
    throw new ValidationError(`k-fold needs --folds of 2 or more, got ${k}`, 'folds')
  const foldOf = new Array<number>(windows.length)
  const cells = new Map<string, number[]>()
  windows.forEach((window, i) => {
    const key = `${window.participant}\u0000${window.label}`
    cells.set(key, [...(cells.get(key) ?? []), i])
  })
  let offset = 0
  for (const key of [...cells.keys()].sort()) {
    random
      .shuffle(cells.get(key) as number[])
      .forEach((index, position) => (foldOf[index] = (position + offset) % k))
    offset += (cells.get(key) as number[]).length
  }
  return Array.from({ length: k }, (_, fold) => ({
    name: `fold ${fold + 1} of ${k}`,
    train: windows.flatMap((_, i) => (foldOf[i] !== fold ? [i] : [])),
    test: windows.flatMap((_, i) => (foldOf[i] === fold ? [i] : [])),
    testParticipants: participantsOf(windows)
  }))
}

/**
 * A fixed hold-out: the named participants, or else the last fifth of the participants in code order
 * (at least one), so that the same study always gives the same split.
 */
export function holdoutFold(windows: Window[], testParticipants?: string[]): Fold[] {
  const participants = participantsOf(windows)
  const chosen = testParticipants?.length
    ? testParticipants
    : participants.slice(participants.length - Math.max(1, Math.round(participants.length / 5)))
  const unknown = chosen.filter((p) => !participants.includes(p))
  if (unknown.length)
    throw new ValidationError(`hold-out participants not in the windows: ${unknown.join(', ')}`, 'holdout')
  if (chosen.length >= participants.length)
    throw new ValidationError('the hold-out leaves no participant to train on', 'holdout')
  const test = new Set(chosen)
  return [
    {
      name: `hold-out: ${chosen.join(', ')}`,
      train: windows.flatMap((w, i) => (test.has(w.participant) ? [] : [i])),
      test: windows.flatMap((w, i) => (test.has(w.participant) ? [i] : [])),
      testParticipants: chosen
    }
  ]
}

/** The four published groups; fails naming every published id the study lacks. */
export function publishedGroupFolds(windows: Window[]): { folds: Fold[]; groups: string[][] } {
  const byNumber = new Map<number, string>()
  for (const participant of participantsOf(windows)) {
    const number = participantNumber(participant)
    if (number !== null) byNumber.set(number, participant)
  }
  const missing = publishedGroups.flat().filter((id) => !byNumber.has(id))
  if (missing.length) {
    throw new ValidationError(
      `--groups published needs K-EmoCon participants ${missing.join(', ')}, which have no usable windows in this study; use --groups auto`,
      'groups'
    )
  }
  const groups = publishedGroups.map((group) => group.map((id) => byNumber.get(id) as string))
  return { folds: foldOfGroups(windows, groups, 'group'), groups }
}

/**
 * Four (or `count`) participant groups balanced on label: participants sorted by their share of class 1
 * and dealt in a snake order (1,2,3,4,4,3,2,1,...), so each group spans low and high raters alike.
 */
export function autoGroups(windows: Window[], count = 4): string[][] {
  const participants = participantsOf(windows)
  if (participants.length < count) {
    throw new ValidationError(
      `--groups auto needs ${count} participants or more, the windows have ${participants.length}`,
      'groups'
    )
  }
  const share = new Map<string, number>()
  for (const participant of participants) {
    const own = windows.filter((window) => window.participant === participant)
    share.set(participant, own.filter((window) => window.label === 1).length / own.length)
  }
  const sorted = [...participants].sort(
    (a, b) => (share.get(a) as number) - (share.get(b) as number) || a.localeCompare(b)
  )
  const groups: string[][] = Array.from({ length: count }, () => [])
  sorted.forEach((participant, i) => {
    const round = Math.floor(i / count)
    const position = i % count
    groups[round % 2 === 0 ? position : count - 1 - position].push(participant)
  })
  return groups.map((group) => group.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })))
}

export function autoGroupFolds(windows: Window[], count = 4): { folds: Fold[]; groups: string[][] } {
  const groups = autoGroups(windows, count)
  return { folds: foldOfGroups(windows, groups, 'group'), groups }
}
