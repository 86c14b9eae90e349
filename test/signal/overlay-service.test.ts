import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildViewerStudy } from '../../bench/viewer.study'
import { base64ToFloat32 } from '../../src-main/signal/base64'
import { edaClean, edaPeaks, edaPhasic } from '../../src-main/signal/dsp/eda'
import { heartRate, ppgClean, ppgFindPeaks } from '../../src-main/signal/dsp/ppg'
import { inThreadOverlays } from '../../src-main/signal/overlay-computer'
import { flagSpans, SignalOverlayService } from '../../src-main/signal/overlay-service'
import { StreamCache } from '../../src-main/signal/stream-cache'
import { SignalStore } from '../../src-main/store/signal-store'
import { StudyStore } from '../../src-main/store/study-store'
import { SESSION_START, studyWithSession } from '../study-fixture'
import { tempDir } from '../e2e/harness'

/** Float32 offsets after baseMs are exact to well under a millisecond over a 10-minute session. */
function expectTimes(offsets: Float32Array, baseMs: number, expected: number[]): void {
  expect(offsets.length).toBe(expected.length)
  offsets.forEach((t, i) => expect(Math.abs(t + baseMs - expected[i])).toBeLessThan(0.1))
}

describe('signals.overlays service', () => {
  let study: StudyStore | undefined
  afterEach(() => study?.close())

  function open() {
    const path = join(tempDir('emoheal-overlays-'), 'overlays.emoheal-study')
    const built = buildViewerStudy(path, { minutes: 10, reportMinutes: 5, reportsFromMinute: 1 })
    study = new StudyStore(path)
    const signals = new SignalStore(study.db)
    const session = study.getSession(built.sessionId)
    const stream = (name: string) => session.streams.find((s) => s.name === name)!
    const service = new SignalOverlayService(study, new StreamCache(signals), inThreadOverlays)
    return { built, signals, service, stream }
  }

  it('returns the beats and heart rate ppgFindPeaks and heartRate give on the same samples, and caches them', async () => {
    const { built, signals, service, stream } = open()
    const bvp = stream('bvp')
    const data = signals.read(bvp.id)
    const beats = ppgFindPeaks(ppgClean(Float64Array.from(data.samples), 64), 64)
    const rates = heartRate(beats, 64).atBeats
    const result = await service.overlays({ sessionId: built.sessionId, streamId: bvp.id, kinds: ['beats', 'hr', 'cleaned', 'quality'], points: 20_000 })
    const byKind = Object.fromEntries(result.results.map((r) => [r.kind, r]))
    expect(beats.length).toBeGreaterThan(500)
    const times = base64ToFloat32(byKind.beats.marks!.times)
    expect(byKind.beats.marks!.count).toBe(beats.length)
    expectTimes(times, result.baseMs, beats.map((i) => data.times[i]))
    const hr = base64ToFloat32(byKind.hr.marks!.values)
    expect(Array.from(hr)).toEqual(Array.from(Float32Array.from(rates)))
    // The synthetic pulse follows 75 ± 11 bpm.
    expect(Math.min(...hr)).toBeGreaterThan(55)
    expect(Math.max(...hr)).toBeLessThan(100)
    expect(byKind.cleaned.line!.count).toBeGreaterThan(0)
    expect(byKind.quality.spans!.length).toBe(60)
    const computed = service.computations
    // Panning: another range of the same stream only slices what is cached.
    const pan = await service.overlays({
      sessionId: built.sessionId,
      streamId: bvp.id,
      kinds: ['beats', 'hr', 'cleaned', 'quality'],
      fromMs: built.startMs + 60_000,
      toMs: built.startMs + 120_000
    })
    expect(service.computations).toBe(computed)
    const panned = pan.results.find((r) => r.kind === 'beats')!.marks!
    expect(panned.count).toBe(beats.filter((i) => data.times[i] >= built.startMs + 60_000 && data.times[i] < built.startMs + 120_000).length)
  })

  it('returns EDA tonic, phasic and SCR peaks as the DSP gives them, with the 4 Hz note instead of an error', async () => {
    const { built, signals, service, stream } = open()
    const eda = stream('eda')
    const data = signals.read(eda.id)
    const cleaned = edaClean(Float64Array.from(data.samples), 4)
    const { tonic, phasic } = edaPhasic(cleaned.cleaned, 4)
    const peaks = edaPeaks(phasic).peaks
    const result = await service.overlays({ sessionId: built.sessionId, streamId: eda.id, kinds: ['cleaned', 'tonic', 'phasic', 'scr', 'motion'], points: 20_000 })
    const byKind = Object.fromEntries(result.results.map((r) => [r.kind, r]))
    expect(byKind.cleaned.note).toMatch(/4 Hz.*low-pass skipped/)
    expect(byKind.motion.note).toMatch(/not computed for eda/)
    // 2400 samples reduced to 10 000 columns stay raw: the line is the DSP's output, as float32.
    expect(Array.from(base64ToFloat32(byKind.tonic.line!.values))).toEqual(Array.from(Float32Array.from(tonic)))
    expect(Array.from(base64ToFloat32(byKind.phasic.line!.values))).toEqual(Array.from(Float32Array.from(phasic)))
    const scr = base64ToFloat32(byKind.scr.marks!.times)
    expect(peaks.length).toBeGreaterThan(0)
    expectTimes(scr, result.baseMs, peaks.map((i) => data.times[i]))
  })

  it('flags motion on ACC and turns a too-short stream into a note per kind, never a throw', async () => {
    const { built, service, stream } = open()
    const acc = await service.overlays({ sessionId: built.sessionId, streamId: stream('acc').id, kinds: ['motion'] })
    expect(acc.results[0].note).toBeUndefined()
    expect(Array.isArray(acc.results[0].spans)).toBe(true)
    study?.close()
    const fixture = studyWithSession()
    study = fixture.study
    const signals = new SignalStore(study.db)
    const short = signals.createStream(fixture.sessionId, { name: 'bvp', unit: 'a.u.', rateHz: 64, channels: ['bvp'] })
    signals.append(short.id, {
      times: Float64Array.from({ length: 5 }, (_, i) => SESSION_START + i * 15.625),
      samples: Float32Array.from([1, 2, 3, 2, 1]),
      channelCount: 1
    })
    const small = new SignalOverlayService(study, new StreamCache(signals), inThreadOverlays)
    const result = await small.overlays({ sessionId: fixture.sessionId, streamId: short.id, kinds: ['cleaned', 'beats', 'hr'] })
    expect(result.results.map((r) => r.kind)).toEqual(['cleaned', 'beats', 'hr'])
    for (const r of result.results) expect(r.note).toMatch(/samples/)
  })

  it('shades a shake on ACC as one motion span at its time', async () => {
    const fixture = studyWithSession(120_000)
    study = fixture.study
    const signals = new SignalStore(study.db)
    const acc = signals.createStream(fixture.sessionId, { name: 'acc', unit: '1/64 g', rateHz: 32, channels: ['x', 'y', 'z'] })
    const n = 32 * 120
    const times = Float64Array.from({ length: n }, (_, i) => SESSION_START + (i * 1000) / 32)
    const samples = new Float32Array(n * 3)
    for (let i = 0; i < n; i++) {
      // At rest 64 (1 g) on z; shaken along z at 3 Hz, ±0.6 g, between 60 and 70 s.
      const shake = i >= 32 * 60 && i < 32 * 70 ? 40 * Math.sin((2 * Math.PI * 3 * i) / 32) : 0
      samples.set([0, 0, 64 + shake], i * 3)
    }
    signals.append(acc.id, { times, samples, channelCount: 3 })
    const service = new SignalOverlayService(study, new StreamCache(signals), inThreadOverlays)
    const [motion] = (await service.overlays({ sessionId: fixture.sessionId, streamId: acc.id, kinds: ['motion'] })).results
    expect(motion.spans).toHaveLength(1)
    const [span] = motion.spans!
    expect(span.startMs).toBeGreaterThanOrEqual(59_000)
    expect(span.startMs).toBeLessThanOrEqual(61_000)
    expect(span.endMs).toBeGreaterThanOrEqual(69_000)
    expect(span.endMs).toBeLessThanOrEqual(71_000)
  })

  it('recomputes once a stream has grown, from all its samples', async () => {
    const { built, signals, service, stream } = open()
    const eda = stream('eda')
    const ask = () => service.overlays({ sessionId: built.sessionId, streamId: eda.id, kinds: ['tonic'], points: 20_000 })
    const before = (await ask()).results[0].line!.count
    const computed = service.computations
    await ask()
    expect(service.computations).toBe(computed)
    signals.append(eda.id, {
      times: Float64Array.from({ length: 40 }, (_, i) => built.endMs + 250 * (i + 1)),
      samples: new Float32Array(40).fill(2.5),
      channelCount: 1
    })
    expect((await ask()).results[0].line!.count).toBe(before + 40)
    expect(service.computations).toBeGreaterThan(computed)
  })

  it('joins motion runs closer than the join length', () => {
    expect(flagSpans(Uint8Array.from([0, 1, 1, 0, 1, 0, 0, 0, 1]), 2)).toEqual([
      { start: 1, end: 5, value: 1 },
      { start: 8, end: 9, value: 1 }
    ])
  })
})
