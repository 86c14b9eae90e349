import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importDataset } from '../../src-main/datasets/import-service'
import { synthesizeKemocon } from '../../src-main/datasets/synth/synthesize'
import { exportKemocon } from '../../src-main/export/kemocon-export'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { newStudy, temporaryFolder } from './study-helpers'

/** Everything a study holds about its sessions, without row ids. */
function contentOf(study: StudyStore) {
  const signals = new SignalStore(study.db)
  const annotations = new AnnotationStore(study.db)
  return study.listSessions().map((session) => ({
    participant: session.participantCode,
    name: session.name,
    startMs: session.startMs,
    durationMs: session.durationMs,
    timezone: session.timezone,
    notes: session.notes,
    streams: session.streams.map((stream) => {
      const data = signals.read(stream.id)
      return {
        name: stream.name,
        unit: stream.unit,
        rateHz: stream.rateHz,
        channels: stream.channels,
        count: stream.sampleCount,
        times: Buffer.from(data.times.buffer).toString('base64'),
        samples: Buffer.from(data.samples.buffer).toString('base64')
      }
    }),
    markers: annotations
      .listMarkers(session.id)
      .map(({ timeMs, label, source }) => ({ timeMs, label, source })),
    annotations: annotations
      .listAnnotations(session.id)
      .map(({ id: _id, sessionId: _session, ...rest }) => rest)
  }))
}

describe('K-EmoCon round trip', () => {
  it('synth -> import -> export -> re-import gives equal data', () => {
    const synthetic = join(temporaryFolder(), 'synth')
    synthesizeKemocon({
      out: synthetic,
      participants: 3,
      minutes: 1,
      seed: 9,
      leadMinutes: 0.5,
      tailMinutes: 0.2
    })
    const first = newStudy()
    importDataset(first, { kind: 'kemocon', path: synthetic })
    const exported = join(temporaryFolder(), 'exported')
    const summary = exportKemocon(first, exported)
    expect(summary.participants).toEqual(['1', '2', '3'])
    expect(summary.skipped).toEqual([])
    const second = newStudy()
    importDataset(second, { kind: 'kemocon', path: exported })
    const before = contentOf(first)
    expect(before.map((s) => s.streams.length)).toEqual([6, 6, 6])
    expect(before[0].annotations.length).toBe(12 * 8)
    expect(contentOf(second)).toEqual(before)
    // The files themselves come back byte for byte where no device serial is involved.
    for (const file of [
      'metadata/subjects.csv',
      'emotion_annotations/self_annotations/P2.self.csv',
      'emotion_annotations/external_annotations/P1.R3.csv'
    ]) {
      expect(readFileSync(join(exported, file), 'utf8')).toBe(readFileSync(join(synthetic, file), 'utf8'))
    }
    first.close()
    second.close()
  })
})
