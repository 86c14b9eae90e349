import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { RecordingStore } from '../../src-main/store/recording-store'
import { SignalStore, type NewStream } from '../../src-main/store/signal-store'
import { StudyStore } from '../../src-main/store/study-store'

export const START_MS = Date.UTC(2026, 2, 4, 0, 30, 0)

export interface StreamSpec extends NewStream {
  /** Sample times in ms after START_MS. */
  offsetsMs: number[]
  /** Sample i, channel c. */
  value(i: number, channel: number): number
}

const made: string[] = []
afterEach(() => {
  while (made.length > 0) rmSync(made.pop()!, { recursive: true, force: true })
})

/** A fresh temporary folder, removed after the test. */
export function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'emoheal-edf-'))
  made.push(folder)
  return folder
}

/** Offsets of `count` samples at `rateHz` from `fromMs`. */
export function regular(rateHz: number, count: number, fromMs = 0): number[] {
  return Array.from({ length: count }, (_, i) => fromMs + (i * 1000) / rateHz)
}

/** A session in a fresh study file holding `streams`; returns the open study and the session's id. */
export function sessionWith(
  streams: StreamSpec[],
  name = 'Debate'
): { study: StudyStore; sessionId: number; path: string } {
  const path = join(temporaryFolder(), 'study.emoheal-study')
  const study = new StudyStore(path, { create: true, name: 'EDF' })
  const participant = study.createParticipant({ code: 'P 07', notes: '' })
  const session = study.createSession({
    participantId: participant.id,
    name,
    startMs: START_MS,
    timezone: 'UTC',
    durationMs: 60_000,
    notes: ''
  })
  const signals = new SignalStore(study.db)
  for (const spec of streams) {
    const stream = signals.createStream(session.id, spec)
    const width = spec.channels.length
    const samples = new Float32Array(spec.offsetsMs.length * width)
    for (let i = 0; i < spec.offsetsMs.length; i++)
      for (let c = 0; c < width; c++) samples[i * width + c] = spec.value(i, c)
    signals.append(stream.id, {
      times: Float64Array.from(spec.offsetsMs, (offset) => START_MS + offset),
      samples,
      channelCount: width
    })
  }
  return { study, sessionId: session.id, path }
}

/** E4-like streams over 60 s with known values, plus an IBI event stream. */
export function e4Streams(): StreamSpec[] {
  return [
    {
      name: 'bvp',
      unit: 'a.u.',
      rateHz: 64,
      channels: ['bvp'],
      // A few ms of jitter: stored times are explicit and need not sit on the grid.
      offsetsMs: regular(64, 64 * 60).map((offset, i) => offset + ((i % 5) - 2)),
      value: (i) => 120 * Math.sin(i / 7) + 3.25
    },
    {
      name: 'eda',
      unit: 'µS',
      rateHz: 4,
      channels: ['eda'],
      offsetsMs: regular(4, 240),
      value: (i) => 0.5 + i / 100
    },
    {
      name: 'temp',
      unit: 'degC',
      rateHz: 4,
      channels: ['temp'],
      offsetsMs: regular(4, 240),
      value: () => 33.5
    },
    {
      name: 'acc',
      unit: 'g',
      rateHz: 32,
      channels: ['x', 'y', 'z'],
      offsetsMs: regular(32, 32 * 60),
      value: (i, c) => [Math.cos(i / 11), -0.5 + (i % 3) / 10, 1 - c / 10 + (i % 17) / 100][c]
    },
    { name: 'hr', unit: 'bpm', rateHz: 1, channels: ['hr'], offsetsMs: regular(1, 60), value: (i) => 60 + i },
    {
      name: 'ibi',
      unit: 's',
      rateHz: 0,
      channels: ['ibi'],
      offsetsMs: [1500, 2300, 3125],
      value: (i) => 0.8 + i / 8
    }
  ]
}

export const MARKERS = [
  { timeMs: START_MS + 10_500, label: 'stimulus onset', source: 'manual' },
  { timeMs: START_MS + 30_000, label: 'baseline end', source: 'manual' }
]

/** The E4-like session with two markers and one self report from 15 s to 20 s. */
export function e4Session(): { study: StudyStore; sessionId: number; path: string } {
  const made = sessionWith(e4Streams())
  const annotations = new AnnotationStore(made.study.db)
  annotations.insertMarkers(made.sessionId, MARKERS)
  annotations.insertAnnotations(made.sessionId, [
    {
      source: 'self',
      rater: '',
      startMs: START_MS + 15_000,
      endMs: START_MS + 20_000,
      arousal: 3,
      valence: 4,
      emotions: {}
    }
  ])
  return made
}

/** A recorded-style session: bvp 64 Hz and eda 4 Hz for 0..20 s and 35..50 s, the device lost for 20..35 s. */
export function gappedSession(): { study: StudyStore; sessionId: number; path: string } {
  const before = (rate: number): number[] => regular(rate, rate * 20)
  const after = (rate: number): number[] => regular(rate, rate * 15, 35_000)
  const made = sessionWith([
    {
      name: 'bvp',
      unit: 'a.u.',
      rateHz: 64,
      channels: ['bvp'],
      offsetsMs: [...before(64), ...after(64)],
      value: (i) => Math.sin(i / 5)
    },
    {
      name: 'eda',
      unit: 'uS',
      rateHz: 4,
      channels: ['eda'],
      offsetsMs: [...before(4), ...after(4)],
      value: (i) => 1 + i / 50
    }
  ])
  const streams = made.study.getSession(made.sessionId).streams
  new RecordingStore(made.study.db).commit(made.sessionId, {
    samples: [],
    gaps: streams.map((stream) => ({
      streamId: stream.id,
      startMs: START_MS + 20_000,
      endMs: START_MS + 35_000,
      missing: stream.rateHz * 15,
      cause: 'disconnected' as const
    })),
    streams: [],
    devices: [],
    durationMs: 50_000
  })
  return made
}
