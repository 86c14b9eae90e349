import { exportLabels } from '../export/labels-export'
import type { labelCalls } from '../ipc/contract/labels'
import type { HandlerMap } from '../ipc/handler'
import { labelAgreement } from './label-agreement'
import { RevisionStore } from './revision-store'
import { correctLabel, windowTable } from './window-table'

export const labelHandlers: HandlerMap<keyof typeof labelCalls> = {
  'labels.windows': (args, context) => windowTable(context.study(), args),
  'labels.correct': (args, context) => correctLabel(context.study(), args),
  'labels.revert': ({ revisionId, reason }, context) =>
    new RevisionStore(context.study().db).revert(revisionId, reason),
  'labels.revisions': ({ sessionId }, context) =>
    new RevisionStore(context.study().db).list(context.study().getSession(sessionId).id),
  'labels.agreement': ({ sessionId }, context) => labelAgreement(context.study(), sessionId),
  'labels.export': (args, context) => exportLabels(context.study(), args)
}
