import { z } from 'zod'
import { defineCall } from './define'

export const id = z.number().int().positive()
const text = (max: number) => z.string().trim().max(max)

export interface StudyInfo {
  path: string
  name: string
  description: string
  schemaVersion: number
  participantCount: number
  sessionCount: number
}

export interface Participant {
  id: number
  code: string
  notes: string
  sessionCount: number
}

export interface StreamInfo {
  id: number
  name: string
  unit: string
  rateHz: number
  channels: string[]
  startMs: number | null
  endMs: number | null
  sampleCount: number
}

export interface Session {
  id: number
  participantId: number
  participantCode: string
  name: string
  /** Start of the recording, epoch ms (UTC). */
  startMs: number
  /** IANA time zone the session was recorded in, e.g. Asia/Seoul. */
  timezone: string
  durationMs: number | null
  notes: string
  source: string
  alignmentOffsetMs: number
  /** For a session recorded from devices: whether it is still recording, complete, interrupted (its process died) or failed, and why. */
  recording: { state: 'recording' | 'complete' | 'interrupted' | 'failed'; message: string | null } | null
  streams: StreamInfo[]
}

export const timezone = z.string().refine(
  (value) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value })
      return true
    } catch {
      return false
    }
  },
  { message: 'not a known IANA time zone' }
)

export const participantInput = z.object({
  code: text(64).min(1, 'participant code is empty'),
  notes: text(4000).default('')
})

export const sessionInput = z.object({
  participantId: id,
  name: text(200).min(1, 'session name is empty'),
  startMs: z.number().int().nonnegative(),
  timezone,
  durationMs: z.number().int().nonnegative().nullable().default(null),
  notes: text(4000).default('')
})

export const studyCalls = {
  'study.current': defineCall<StudyInfo | null>()(z.object({})),
  'study.open': defineCall<StudyInfo>()(z.object({ path: z.string().min(1) })),
  'study.create': defineCall<StudyInfo>()(z.object({ path: z.string().min(1), name: text(200).min(1) })),
  'study.update': defineCall<StudyInfo>()(
    z.object({ name: text(200).min(1), description: text(4000).default('') })
  ),
  'participants.list': defineCall<Participant[]>()(z.object({})),
  'participants.create': defineCall<Participant>()(participantInput),
  'participants.update': defineCall<Participant>()(participantInput.extend({ id })),
  'participants.delete': defineCall<{ deleted: number }>()(z.object({ id })),
  'sessions.list': defineCall<Session[]>()(z.object({ participantId: id.optional() })),
  'sessions.get': defineCall<Session>()(z.object({ id })),
  'sessions.create': defineCall<Session>()(sessionInput),
  'sessions.update': defineCall<Session>()(sessionInput.extend({ id })),
  'sessions.delete': defineCall<{ deleted: number }>()(z.object({ id }))
}
