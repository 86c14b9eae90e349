import { z } from 'zod'
import { defineCall } from './define'

const path = z.string().trim().min(1, 'choose a file or folder')
const code = z.string().trim().min(1, 'participant code is empty').max(64)
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')

export const csvMappingInput = z.object({
  participant: code,
  stream: z.string().trim().min(1).max(64),
  columns: z.array(z.string().trim().min(1)).min(1, 'name at least one value column'),
  unit: z.string().trim().max(32).default(''),
  timeColumn: z.string().trim().min(1).optional(),
  rateHz: z.number().positive().optional(),
  startMs: z.number().optional(),
  timeUnit: z.enum(['s', 'ms', 'auto']).default('auto'),
  sessionName: z.string().trim().max(200).optional(),
  timezone: z.string().optional()
})

export const importInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('kemocon'), path, replace: z.boolean().default(false) }),
  z.object({ kind: z.literal('e4'), path, participant: code, replace: z.boolean().default(false) }),
  z.object({ kind: z.literal('csv'), path, mapping: csvMappingInput, replace: z.boolean().default(false) }),
  z.object({
    kind: z.literal('embraceplus'),
    path,
    /** enrollment.participantID inside the files; also the study's participant code. */
    participant: code,
    from: isoDate.optional(),
    to: isoDate.optional(),
    /** Every file of a device in one session, pauses stored as gaps. */
    oneSession: z.boolean().default(false),
    /** A pause longer than this between files starts a new session. */
    maxGapS: z
      .number()
      .min(1)
      .max(7 * 24 * 3600)
      .optional(),
    replace: z.boolean().default(false)
  })
])

export const synthInput = z.object({
  out: path,
  participants: z.number().int().min(1).max(200).default(4),
  minutes: z.number().positive().max(120).default(10),
  seed: z.number().int().default(1),
  difficulty: z.union([z.enum(['easy', 'medium', 'hard']), z.number().min(0).max(1)]).default('medium'),
  leadMinutes: z.number().min(0).max(120).optional(),
  tailMinutes: z.number().min(0).max(120).optional()
})

/** What one stream of one participant turned into, for the import report. */
export interface StreamReport {
  name: string
  file: string
  samples: number
  durationS: number
  /** The device's nominal rate; 0 for event streams such as IBI. */
  nominalHz: number
  /** Samples per second over the stream's span ((n - 1) / duration). */
  measuredHz: number
  duplicatesRemoved: number
  outOfOrderRows: number
  missingValues: number
}

export interface AnnotationCounts {
  self: number
  partner: number
  /** Per external rater (R1..R5). */
  external: Record<string, number>
  aggregate: number
}

export interface ParticipantReport {
  participant: string
  sessionName: string | null
  streams: StreamReport[]
  annotations: AnnotationCounts
  problems: string[]
  /** How a session was joined from a device's files (EmbracePlus). */
  files?: FileJoinReport
}

/** The files one EmbracePlus session was joined from, and what lay between them. */
export interface FileJoinReport {
  device: string
  count: number
  first: string
  last: string
  schemaVersions: string[]
  /** The participant's offset from UTC, as the files give it. */
  timezoneOffsetS: number
  /** Streams the files carry but left empty, with how many of the files did. */
  emptyStreams: { name: string; files: number }[]
  /** Pauses between files longer than a few seconds (stored as gaps of each stream). */
  gaps: { startMs: number; endMs: number; seconds: number }[]
  /** The most a file started before the previous one ended (s), and the repeated samples left out. */
  largestOverlapS: number
  overlapSamplesDropped: number
  systolicPeaks: number
}

export interface ImportReport {
  kind: 'kemocon' | 'e4' | 'csv' | 'embraceplus'
  source: string
  contentHash: string
  participants: ParticipantReport[]
  /** Problems that belong to no participant (layout, metadata). */
  problems: string[]
  totals: {
    participants: number
    sessions: number
    streams: number
    samples: number
    annotations: number
    markers: number
  }
  /** Every participant the source holds, where it may hold several (EmbracePlus bucket folders). */
  participantsFound?: string[]
  /** Filled in once the import is written. */
  importId?: number
  replaced?: boolean
  seconds?: number
}

export interface SynthSummary {
  out: string
  participants: number
  debateMinutes: number
  recordingMinutes: number[]
  seed: number
  /** 0 (easiest) .. 1 (hardest). */
  difficulty: number
  /** Strength of the planted arousal effect (1 = full) and the multiplier of every noise source. */
  coupling: { strength: number; noise: number }
  externalRaters: number
}

export interface KemoconExportSummary {
  out: string
  participants: string[]
  files: number
  /** Sessions not written, and why (a second session of a participant, a stream K-EmoCon has no file for). */
  skipped: string[]
}

export const datasetCalls = {
  /** Reads and checks the data, then writes it to the open study in one transaction. */
  'datasets.import': defineCall<ImportReport>()(importInput),
  /** Writes a synthetic K-EmoCon copy to a folder (it can then be imported). */
  'datasets.synth': defineCall<SynthSummary>()(synthInput),
  /** Creates a small synthetic demo study in a new file and opens it. */
  'datasets.demo': defineCall<{ path: string; report: ImportReport }>()(z.object({ path })),
  'datasets.exportKemocon': defineCall<KemoconExportSummary>()(z.object({ out: path })),
  /** One session as EDF+ or BDF+, handed to the renderer to save (a download in the browser). */
  'datasets.exportSessionEdf': defineCall<SessionFileExport>()(
    z.object({ sessionId: z.number().int().positive(), format: z.enum(['edf', 'bdf']) })
  )
}

/** A file made in main for the renderer to save: its suggested name and its bytes in base64. */
export interface SessionFileExport {
  fileName: string
  bytes: number
  base64: string
  /** EDF+C, EDF+D, BDF+C or BDF+D. */
  fileType: string
}
