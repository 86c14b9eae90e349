import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'
import { parseOrRefuse, ValidationError } from '../../errors'
import { participantInput, sessionInput, type Session } from '../../ipc/contract'
import { requireString, stringOption, type CliCommand } from '../command'
import { studyPathOf, withStudy } from '../study-option'

function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  return parseOrRefuse(schema, value, { shown: (field) => `--${field}` })
}

export const studyInitCommand: CliCommand = {
  path: ['study', 'init'],
  summary: 'create a new study file',
  usage: 'study init --study FILE [--name NAME] [--json]',
  options: { name: { type: 'string' } },
  async run(input) {
    const path = studyPathOf(input)
    mkdirSync(dirname(path), { recursive: true })
    return withStudy(input, true, (study) => {
      const name = stringOption(input.values, 'name')
      return name ? study.updateInfo(name, '') : study.info()
    })
  },
  format: (result) => `study ready: ${(result as { path: string }).path}`
}

export const sessionsCommand: CliCommand = {
  path: ['sessions'],
  summary: 'list participants and sessions with their ids',
  usage: 'sessions --study FILE [--json]',
  options: {},
  run: (input) =>
    withStudy(input, false, (study) => ({
      study: study.info(),
      participants: study.listParticipants(),
      sessions: study.listSessions()
    })),
  format(result) {
    const { participants, sessions } = result as {
      participants: { id: number; code: string }[]
      sessions: Session[]
    }
    const lines = participants.map((p) => {
      const own = sessions.filter((s) => s.participantId === p.id)
      const detail = own.map(
        (s) =>
          `    session ${s.id}: ${s.name} (${new Date(s.startMs).toISOString()}, ${s.streams.length} streams)`
      )
      return [`participant ${p.id}: ${p.code}`, ...detail].join('\n')
    })
    return lines.length ? lines.join('\n') : 'no participants yet'
  }
}

export const participantAddCommand: CliCommand = {
  path: ['participant', 'add'],
  summary: 'add a participant',
  usage: 'participant add --study FILE --code CODE [--notes TEXT] [--json]',
  options: { code: { type: 'string' }, notes: { type: 'string' } },
  run: (input) =>
    withStudy(input, false, (study) =>
      study.createParticipant(
        parseWith(participantInput, {
          code: requireString(input.values, 'code'),
          notes: stringOption(input.values, 'notes')
        })
      )
    )
}

export const sessionAddCommand: CliCommand = {
  path: ['session', 'add'],
  summary: 'add a session to a participant',
  usage: 'session add --study FILE --participant ID --name NAME --start ISO-TIME --timezone ZONE [--json]',
  options: {
    participant: { type: 'string' },
    name: { type: 'string' },
    start: { type: 'string' },
    timezone: { type: 'string' },
    notes: { type: 'string' }
  },
  run: (input) =>
    withStudy(input, false, (study) => {
      const start = Date.parse(requireString(input.values, 'start'))
      if (Number.isNaN(start))
        throw new ValidationError(`--start: not a date and time: ${String(input.values.start)}`, 'start')
      return study.createSession(
        parseWith(sessionInput, {
          participantId: Number(requireString(input.values, 'participant')),
          name: requireString(input.values, 'name'),
          startMs: start,
          timezone:
            stringOption(input.values, 'timezone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
          notes: stringOption(input.values, 'notes')
        })
      )
    })
}
