import { exportLabels } from '../../export/labels-export'
import type { labelCalls } from '../contract/labels'
import type { HandlerMap } from '../handler'
import type { SessionFeatureCache } from '../../signal/session-features'
import { labelAgreement } from '../../labels/label-agreement'
import { RevisionStore } from '../../labels/revision-store'
import { correctLabel, windowTable } from '../../labels/window-table'

/** `features` keeps what the filters made of a session's streams between calls (the table's feature columns). */
export function labelHandlers(features: SessionFeatureCache): HandlerMap<keyof typeof labelCalls> {
  return {
    'labels.windows': async (args, context) => {
      const study = context.study()
      // The filters run in the overlay worker; only the slicing per window runs here.
      await features.warm(study, args.sessionId)
      return windowTable(study, args, features)
    },
    'labels.correct': (args, context) => correctLabel(context.study(), args),
    'labels.revert': ({ revisionId, reason }, context) =>
      new RevisionStore(context.study().db).revert(revisionId, reason),
    'labels.revisions': ({ sessionId }, context) =>
      new RevisionStore(context.study().db).list(context.study().getSession(sessionId).id),
    'labels.agreement': ({ sessionId }, context) => labelAgreement(context.study(), sessionId),
    'labels.export': async (args, context) => {
      const study = context.study()
      if (args.format === 'windows') await features.warm(study, args.sessionId)
      return exportLabels(study, args, features)
    }
  }
}
