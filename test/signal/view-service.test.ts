import { afterEach, describe, expect, it } from 'vitest'
import { base64ToFloat32 } from '../../src-main/signal/base64'
import { StreamCache } from '../../src-main/signal/stream-cache'
import { SignalViewService } from '../../src-main/signal/view-service'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { SESSION_START as START, studyWithSession } from '../study-fixture'

describe('signals.view service', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  function sessionWithStreams() {
    const fixture = studyWithSession(null, 'Asia/Seoul')
    study = fixture.study
    const sessionId = fixture.sessionId
    const signals = new SignalStore(study.db)
    const bvp = signals.createStream(sessionId, { name: 'bvp', unit: 'a.u.', rateHz: 64, channels: ['bvp'] })
    const count = 64 * 600
    const times = new Float64Array(count)
    const samples = new Float32Array(count)
    for (let i = 0; i < count; i++) {
      times[i] = START + (i * 1000) / 64
      samples[i] = Math.sin(i / 5) * 100 + (i === 20_000 ? 900 : 0)
    }
    signals.append(bvp.id, { times, samples, channelCount: 1 })
    const ibi = signals.createStream(sessionId, { name: 'ibi', unit: 's', rateHz: 0, channels: ['ibi'] })
    signals.append(ibi.id, {
      times: new Float64Array([START + 1000, START + 1800]),
      samples: new Float32Array([0.8, 0.81]),
      channelCount: 1
    })
    return { sessionId, signals, bvp, times, samples }
  }

  it('reduces a long stream to at most two points per column, keeps its spike, and leaves short event streams raw', () => {
    const { sessionId, signals, times, samples } = sessionWithStreams()
    const service = new SignalViewService(study!, new StreamCache(signals))
    const view = service.view({ sessionId, fromMs: START, toMs: START + 600_000, columns: 500 })
    const bvp = view.streams.find((s) => s.name === 'bvp')!
    expect(bvp.reduced).toBe(true)
    expect(bvp.sampleCount).toBe(times.length)
    const values = base64ToFloat32(bvp.channels[0].values)
    const offsets = base64ToFloat32(bvp.channels[0].times)
    expect(values.length).toBeLessThanOrEqual(1000)
    expect(offsets.length).toBe(values.length)
    expect(bvp.channels[0].max).toBe(Math.max(...samples))
    expect(bvp.channels[0].min).toBe(Math.min(...samples))
    // The spike is drawn at its own time (float32 offsets are exact to well under a millisecond here).
    const spike = values.indexOf(Math.max(...samples))
    expect(view.baseMs + offsets[spike]).toBeCloseTo(times[20_000], 0)

    const ibi = view.streams.find((s) => s.name === 'ibi')!
    expect(ibi).toMatchObject({ kind: 'events', reduced: false, sampleCount: 2 })
    expect(Array.from(base64ToFloat32(ibi.channels[0].values))).toEqual([Math.fround(0.8), Math.fround(0.81)])
  })

  it('returns only the samples inside a zoomed range, raw when few, and sees samples appended later', () => {
    const { sessionId, signals, bvp, times } = sessionWithStreams()
    const service = new SignalViewService(study!, new StreamCache(signals))
    const from = START + 10_000
    const to = START + 12_000
    const view = service.view({
      sessionId,
      fromMs: from,
      toMs: to,
      columns: 1000,
      streams: ['bvp']
    })
    expect(view.streams.map((s) => s.name)).toEqual(['bvp'])
    const offsets = base64ToFloat32(view.streams[0].channels[0].times)
    const expected = Array.from(times).filter((t) => t >= from && t < to)
    expect(view.streams[0].reduced).toBe(false)
    expect(Array.from(offsets, (o) => o + from)).toEqual(expected)

    const later = START + 600_000
    signals.append(bvp.id, {
      times: new Float64Array([later, later + 15.625]),
      samples: new Float32Array([5, 6]),
      channelCount: 1
    })
    const grown = service.view({
      sessionId,
      fromMs: later,
      toMs: later + 1000,
      columns: 10,
      streams: ['bvp']
    })
    expect(Array.from(base64ToFloat32(grown.streams[0].channels[0].values))).toEqual([5, 6])
  })
})
