import type { HandlerMap } from '../handler'
import type { studyCalls } from '../contract/studies'

export const studyHandlers: HandlerMap<keyof typeof studyCalls> = {
  'study.current': (_args, context) => (context.hasStudy ? context.study().info() : null),
  'study.open': ({ path }, context) => context.openStudy(path).info(),
  'study.create': ({ path, name }, context) => context.openStudy(path, true, name).info(),
  'study.update': ({ name, description }, context) => context.study().updateInfo(name, description),
  'participants.list': (_args, context) => context.study().listParticipants(),
  'participants.create': (args, context) => context.study().createParticipant(args),
  'participants.update': (args, context) => context.study().updateParticipant(args),
  'participants.delete': ({ id }, context) => context.study().deleteParticipant(id),
  'sessions.list': ({ participantId }, context) => context.study().listSessions(participantId),
  'sessions.get': ({ id }, context) => context.study().getSession(id),
  'sessions.create': (args, context) => context.study().createSession(args),
  'sessions.update': (args, context) => context.study().updateSession(args),
  'sessions.delete': ({ id }, context) => context.study().deleteSession(id)
}
