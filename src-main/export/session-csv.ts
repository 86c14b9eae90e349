import { existsSync, readdirSync } from 'node:fs'
import { ValidationError } from '../errors'
import { writeDirectoryAtomically, type FileContent } from '../files/atomic-directory'
import { AnnotationStore } from '../store/annotation-store'
import { RecordingStore } from '../store/recording-store'
import { SignalStore } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'

export interface SessionCsvSummary {
  out: string
  sessionId: number
  files: { file: string; stream: string; unit: string; samples: number }[]
}

/** Samples per piece of a stream's CSV (a few MB of text). */
const EXPORT_SLICE_SAMPLES = 65536

/** The shortest decimal that reads back as the same float32: stored values are float32, so more digits are noise. */
export function float32Text(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
  for (let digits = 6; digits < 9; digits++) {
    const text = Number(value.toPrecision(digits))
    if (Math.fround(text) === value) return String(text)
  }
  return String(Number(value.toPrecision(9)))
}

/** A CSV field: quoted when it holds a comma, quote or line break. */
function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * Writes one session, recorded or imported, as plain CSV files any tool reads: per stream `<name>.csv` with
 * `time_ms` (epoch milliseconds, UTC) and one column per channel in the stream's physical unit; `markers.csv`;
 * `gaps.csv` where the recording lost samples; and `session.json` with the units, rates, clocks and devices.
 * The folder appears complete or not at all.
 */
export async function exportSessionCsv(
  study: StudyStore,
  sessionId: number,
  out: string
): Promise<SessionCsvSummary> {
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new ValidationError(`${out} is not empty: choose an empty or new folder`, 'out')
  const session = study.getSession(sessionId)
  const signals = new SignalStore(study.db)
  const files: Record<string, FileContent> = {}
  const summary: SessionCsvSummary = { out, sessionId, files: [] }
  const used = new Set<string>()
  for (const stream of session.streams) {
    let file = `${stream.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv`
    while (used.has(file)) file = `_${file}`
    used.add(file)
    // Written a slice of time at a time: a week of 64 Hz ACC is more text than one string may hold.
    files[file] = function* () {
      yield `${['time_ms', ...stream.channels].map(field).join(',')}\n`
      if (stream.startMs === null || stream.endMs === null) return
      const sliceMs =
        stream.rateHz > 0 ? Math.max(1000, (EXPORT_SLICE_SAMPLES / stream.rateHz) * 1000) : Infinity
      for (let from = stream.startMs; from <= stream.endMs; from += sliceMs) {
        const data = signals.read(stream.id, from, Math.min(from + sliceMs, stream.endMs + 1))
        const width = data.channelCount
        let text = ''
        for (let i = 0; i < data.times.length; i++) {
          text += String(Math.round(data.times[i] * 1000) / 1000)
          for (let c = 0; c < width; c++) text += `,${float32Text(data.samples[i * width + c])}`
          text += '\n'
        }
        yield text
        if (!Number.isFinite(sliceMs)) return
      }
    }
    summary.files.push({ file, stream: stream.name, unit: stream.unit, samples: stream.sampleCount })
  }
  const markers = new AnnotationStore(study.db).listMarkers(sessionId)
  files['markers.csv'] =
    `${['time_ms,label,source', ...markers.map((marker) => [String(marker.timeMs), field(marker.label), field(marker.source)].join(','))].join('\n')}\n`
  const recording = new RecordingStore(study.db)
  const gaps = recording.gaps(sessionId)
  if (gaps.length)
    files['gaps.csv'] =
      `${['stream,start_ms,end_ms,missing_samples,cause', ...gaps.map((gap) => [field(gap.stream), gap.startMs, gap.endMs, gap.missing, gap.cause].join(','))].join('\n')}\n`
  const clocks = study.db
    .prepare(
      'SELECT name, measured_rate_hz, clock_drift_ppm, lost_samples FROM stream WHERE session_id = ? ORDER BY id'
    )
    .all(sessionId) as {
    name: string
    measured_rate_hz: number | null
    clock_drift_ppm: number | null
    lost_samples: number
  }[]
  files['session.json'] = `${JSON.stringify(
    {
      session: {
        id: session.id,
        name: session.name,
        participant: session.participantCode,
        startMs: session.startMs,
        timezone: session.timezone,
        durationMs: session.durationMs,
        source: session.source
      },
      recording: recording.state(sessionId),
      streams: session.streams.map((stream) => {
        const clock = clocks.find((row) => row.name === stream.name)
        return {
          name: stream.name,
          file: summary.files.find((entry) => entry.stream === stream.name)?.file,
          unit: stream.unit,
          channels: stream.channels,
          nominalRateHz: stream.rateHz,
          measuredRateHz: clock?.measured_rate_hz ?? null,
          clockDriftPpm: clock?.clock_drift_ppm ?? null,
          lostSamples: clock?.lost_samples ?? 0,
          samples: stream.sampleCount
        }
      }),
      devices: recording.devices(sessionId)
    },
    null,
    2
  )}\n`
  await writeDirectoryAtomically(out, files)
  return summary
}
