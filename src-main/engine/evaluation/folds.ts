import { ValidationError } from '../../errors'
import { defaultKFolds } from '../../ipc/contract/presets'
import { Random } from '../training/random'
import type { Window } from '../windows/types'
import {
  autoGroupFolds,
  holdoutFold,
  losoFolds,
  publishedGroupFolds,
  stratifiedKFolds,
  type Fold,
  type Protocol
} from './protocols'

export interface FoldRequest {
  protocol: Protocol
  /** k of k-fold; default 5. */
  folds?: number
  /** For protocol 'groups': the published four, or four formed here. */
  groups?: 'published' | 'auto'
  holdoutParticipants?: string[]
  seed?: number
}

/** The folds of a protocol, and the participant groups where the protocol has them (printed for `auto`). */
export function makeFolds(
  windows: Window[],
  request: FoldRequest
): { folds: Fold[]; groups: string[][] | null } {
  switch (request.protocol) {
    case 'loso':
      return { folds: losoFolds(windows), groups: null }
    case 'kfold':
      return {
        folds: stratifiedKFolds(
          windows,
          request.folds ?? defaultKFolds,
          new Random(request.seed ?? 20240611)
        ),
        groups: null
      }
    case 'holdout':
      return { folds: holdoutFold(windows, request.holdoutParticipants), groups: null }
    case 'groups':
      return request.groups === 'auto' ? autoGroupFolds(windows) : publishedGroupFolds(windows)
    default:
      throw new ValidationError(
        `unknown protocol "${String(request.protocol)}"; choose loso, kfold, holdout or groups`,
        'protocol'
      )
  }
}
