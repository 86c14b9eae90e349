import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { SignalStore } from '../../src-main/store/signal-store'
import { StudyStore } from '../../src-main/store/study-store'
import { Random } from '../../src-main/engine/training/random'

export interface PlantedStudyOptions {
  participants?: string[]
  windowsPerParticipant?: number
  /** Share of high-arousal windows; per participant it varies around this. */
  highShare?: number
  /** How far EDA and HR move in a high window (in units of their noise). */
  effect?: number
  seed?: number
  /** Alignment offset given to every session (signal = report + offset). */
  offsetMs?: number
}

export interface PlantedStudy {
  study: StudyStore
  dir: string
  path: string
  /** Per session: the external arousal rating of each report, in report order. */
  ratings: Map<number, number[]>
  close(): void
}

const debateLeadMs = 10_000
const t0 = Date.UTC(2026, 0, 5, 9, 0, 0)

function stream(
  signals: SignalStore,
  sessionId: number,
  name: string,
  rateHz: number,
  channels: string[],
  durationMs: number,
  value: (t: number, c: number) => number
) {
  const info = signals.createStream(sessionId, { name, unit: '', rateHz, channels })
  const count = Math.floor((durationMs * rateHz) / 1000)
  const times = new Float64Array(count)
  const samples = new Float32Array(count * channels.length)
  for (let i = 0; i < count; i++) {
    times[i] = t0 + (i * 1000) / rateHz
    for (let c = 0; c < channels.length; c++) samples[i * channels.length + c] = value(times[i], c)
  }
  signals.append(info.id, { times, samples, channelCount: channels.length })
}

/**
 * A small K-EmoCon-like study written through the real stores: per participant one session with the E4
 * streams (bvp 64 Hz, eda/temp 4 Hz, acc 32 Hz x3, hr 1 Hz) and external 'aggregate' arousal reports every
 * 5 s. Planted signal: in a window rated high (> 2), EDA and HR are raised by `effect` noise units.
 */
export function createPlantedStudy(options: PlantedStudyOptions = {}): PlantedStudy {
  const participants = options.participants ?? ['1', '2', '3', '4', '5', '6']
  const perParticipant = options.windowsPerParticipant ?? 30
  const effect = options.effect ?? 3
  const random = new Random(options.seed ?? 7)
  const dir = mkdtempSync(join(tmpdir(), 'emoheal-planted-'))
  const path = join(dir, 'study.emoheal')
  const study = new StudyStore(path, { create: true, name: 'planted' })
  const signals = new SignalStore(study.db)
  const annotations = new AnnotationStore(study.db)
  const ratings = new Map<number, number[]>()
  const offset = options.offsetMs ?? 0
  study.db.transaction(() => {
    participants.forEach((code, p) => {
      const participant = study.createParticipant({ code, notes: '' })
      const durationMs = debateLeadMs + perParticipant * 5000 + 5000
      const session = study.createSession({
        participantId: participant.id,
        name: `P${code}`,
        startMs: t0,
        timezone: 'UTC',
        durationMs,
        notes: ''
      })
      if (offset) study.setAlignmentOffset(session.id, offset)
      const share = Math.min(0.85, Math.max(0.15, (options.highShare ?? 0.5) + (random.next() - 0.5) * 0.3))
      const own = Array.from({ length: perParticipant }, () =>
        random.next() < share ? 3 + random.integer(3) : 1 + random.integer(2)
      )
      ratings.set(session.id, own)
      // Report k covers report time [start + 5k, start + 5k + 5 s); its signal sits `offset` later.
      const highAt = (t: number) => {
        const k = Math.floor((t - offset - t0 - debateLeadMs) / 5000)
        return k >= 0 && k < own.length && own[k] > 2 ? 1 : 0
      }
      const base = 2 + p * 0.5
      stream(
        signals,
        session.id,
        'eda',
        4,
        ['eda'],
        durationMs,
        (t) => base + 0.2 * (random.normal() + effect * highAt(t))
      )
      stream(
        signals,
        session.id,
        'hr',
        1,
        ['hr'],
        durationMs,
        (t) => 70 + p + 2 * (random.normal() + effect * highAt(t))
      )
      stream(signals, session.id, 'temp', 4, ['temp'], durationMs, () => 33 + 0.05 * random.normal())
      stream(
        signals,
        session.id,
        'bvp',
        64,
        ['bvp'],
        durationMs,
        (t) => 30 * Math.sin((2 * Math.PI * (t - t0)) / 900) + random.normal()
      )
      stream(
        signals,
        session.id,
        'acc',
        32,
        ['x', 'y', 'z'],
        durationMs,
        (_t, c) => (c === 2 ? 64 : 0) + 2 * random.normal()
      )
      annotations.insertAnnotations(
        session.id,
        own.map((rating, k) => ({
          source: 'external' as const,
          rater: 'aggregate',
          startMs: t0 + debateLeadMs + k * 5000,
          endMs: t0 + debateLeadMs + (k + 1) * 5000,
          arousal: rating,
          valence: 3,
          emotions: {}
        }))
      )
    })
  })()
  return {
    study,
    dir,
    path,
    ratings,
    close() {
      study.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
