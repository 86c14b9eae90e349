import { AnnotationStore, type NewAnnotation } from '../src-main/store/annotation-store'
import { SignalStore } from '../src-main/store/signal-store'
import { StudyStore } from '../src-main/store/study-store'

export interface ViewerStudyOptions {
  /** Length of the recording. */
  minutes: number
  /** Seconds of 5-s report windows (self, partner, three external raters), starting `reportsFromMinute` in. */
  reportMinutes: number
  reportsFromMinute: number
}

export interface ViewerStudy {
  sessionId: number
  startMs: number
  endMs: number
  timezone: string
}

/** 2026-03-04 09:30:00 in Seoul. */
export const VIEWER_STUDY_START = Date.UTC(2026, 2, 4, 0, 30, 0)

function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/**
 * A study with one E4-like session (BVP 64 Hz, ACC 32 Hz x 3, EDA and TEMP 4 Hz, HR 1 Hz, IBI events) and
 * K-EmoCon-style 5-second reports, written straight through the stores. Used by the Annotate page's browser
 * test and by bench/viewer.mjs.
 */
export function buildViewerStudy(path: string, options: ViewerStudyOptions): ViewerStudy {
  const study = new StudyStore(path, { create: true, name: 'Viewer study' })
  try {
    const timezone = 'Asia/Seoul'
    const startMs = VIEWER_STUDY_START
    const durationMs = options.minutes * 60_000
    const participant = study.createParticipant({ code: 'P01', notes: '' })
    const session = study.createSession({
      participantId: participant.id,
      name: 'Debate',
      startMs,
      timezone,
      durationMs,
      notes: '',
      source: 'synthetic'
    })
    const signals = new SignalStore(study.db)
    const next = random(7)
    const stream = (
      name: string,
      unit: string,
      rateHz: number,
      channels: string[],
      value: (t: number, c: number) => number
    ): void => {
      const info = signals.createStream(session.id, { name, unit, rateHz, channels })
      const count = Math.floor((durationMs / 1000) * rateHz)
      const times = new Float64Array(count)
      const samples = new Float32Array(count * channels.length)
      for (let i = 0; i < count; i++) {
        const t = i / rateHz
        times[i] = startMs + t * 1000
        for (let c = 0; c < channels.length; c++) samples[i * channels.length + c] = value(t, c)
      }
      signals.append(info.id, { times, samples, channelCount: channels.length })
    }
    study.db.transaction(() => {
      // Heart rate wanders slowly between about 65 and 85 bpm; the pulse wave follows it.
      const heartRate = (t: number): number => 75 + 8 * Math.sin(t / 97) + 3 * Math.sin(t / 13)
      let phase = 0
      let lastT = 0
      stream('bvp', 'a.u.', 64, ['bvp'], (t) => {
        phase += ((t - lastT) * heartRate(t)) / 60
        lastT = t
        const beat = phase % 1
        return (
          60 * Math.exp(-((beat - 0.2) ** 2) / 0.006) -
          25 * Math.exp(-((beat - 0.45) ** 2) / 0.01) +
          (next() - 0.5) * 6
        )
      })
      stream(
        'acc',
        '1/64 g',
        32,
        ['x', 'y', 'z'],
        (t, c) => [-10, 30, 52][c] + 6 * Math.sin(t / (3 + c)) + (next() - 0.5) * 4
      )
      stream(
        'eda',
        'µS',
        4,
        ['eda'],
        (t) => 2 + t / 3600 + 0.6 * Math.max(0, Math.sin(t / 41)) ** 8 + (next() - 0.5) * 0.01
      )
      stream('temp', '°C', 4, ['temp'], (t) => 32.5 + 0.5 * Math.sin(t / 900) + (next() - 0.5) * 0.02)
      stream('hr', 'bpm', 1, ['hr'], (t) => heartRate(t))
      const ibi = signals.createStream(session.id, { name: 'ibi', unit: 's', rateHz: 0, channels: ['ibi'] })
      const beats: number[] = []
      const intervals: number[] = []
      for (let t = 1; t < durationMs / 1000;) {
        const interval = 60 / heartRate(t) + (next() - 0.5) * 0.04
        t += interval
        if (next() < 0.85) {
          beats.push(startMs + t * 1000)
          intervals.push(interval)
        }
      }
      signals.append(ibi.id, {
        times: Float64Array.from(beats),
        samples: Float32Array.from(intervals),
        channelCount: 1
      })

      const reports: NewAnnotation[] = []
      const from = startMs + options.reportsFromMinute * 60_000
      const windows = Math.floor((options.reportMinutes * 60) / 5)
      const level = (k: number, shift: number): number =>
        Math.min(5, Math.max(1, Math.round(3 + 1.6 * Math.sin(k / 9 + shift))))
      for (let k = 0; k < windows; k++) {
        const window = { startMs: from + k * 5000, endMs: from + (k + 1) * 5000, emotions: {} }
        reports.push({ ...window, source: 'self', rater: '', arousal: level(k, 0), valence: level(k, 1.2) })
        reports.push({
          ...window,
          source: 'partner',
          rater: '',
          arousal: level(k, 0.4),
          valence: level(k, 1.5)
        })
        for (const [r, rater] of ['R1', 'R2', 'R3'].entries()) {
          reports.push({
            ...window,
            source: 'external',
            rater,
            arousal: level(k, 0.2 * r),
            valence: level(k, 1 + 0.3 * r)
          })
        }
      }
      new AnnotationStore(study.db).insertAnnotations(session.id, reports)
    })()
    return { sessionId: session.id, startMs, endMs: startMs + durationMs, timezone }
  } finally {
    study.close()
  }
}
