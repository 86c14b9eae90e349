import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignalStore } from '../../src-main/store/signal-store'
import { AnnotationStore } from '../../src-main/store/annotation-store'
import { extractWindows } from '../../src-main/engine/windows/extract'
import { fitNormalization, applyNormalization } from '../../src-main/engine/windows/normalize'
import { resampleByIndex } from '../../src-main/engine/windows/resample'
import { losoFolds } from '../../src-main/engine/evaluation/protocols'
import { createPlantedStudy, type PlantedStudy } from './planted-study'

/** np.interp(np.linspace(0, n-1, k), arange(n), x), written out independently of the engine. */
function numpyLinspaceResample(values: number[], points: number): number[] {
  const out: number[] = []
  for (let k = 0; k < points; k++) {
    const x = (k / (points - 1)) * (values.length - 1)
    const i = Math.min(values.length - 2, Math.floor(x))
    out.push(values[i] + (values[i + 1] - values[i]) * (x - i))
  }
  return out
}

describe('windows', () => {
  let planted: PlantedStudy
  beforeAll(() => {
    planted = createPlantedStudy({ participants: ['1', '2', '3'], windowsPerParticipant: 12, offsetMs: 0 })
  })
  afterAll(() => planted.close())

  it('cuts one paper window per rated report, labelled external arousal > 2, in channel order hr, eda, temp, bvp, acc_mag', () => {
    const set = extractWindows(planted.study, { preset: 'paper' })
    const ratings = [...planted.ratings.values()].flat()
    expect(set.windows).toHaveLength(ratings.length)
    expect(set.classCounts).toEqual([
      ratings.filter((r) => r <= 2).length,
      ratings.filter((r) => r > 2).length
    ])
    expect(set.inputs).toEqual([{ name: 'windows', steps: 20, channels: 5 }])
    expect(set.channelNames[0]).toEqual(['hr', 'eda', 'temp', 'bvp', 'acc_mag'])

    // The third window of the first session, rebuilt from the stored samples.
    const session = planted.study.listSessions()[0]
    const window = set.windows.filter((w) => w.sessionId === session.id)[2]
    const signals = new SignalStore(planted.study.db)
    const read = (name: string) => {
      const stream = session.streams.find((s) => s.name === name)!
      return signals.read(stream.id, window.endMs - 5000, window.endMs)
    }
    const hr = Array.from(read('hr').samples)
    const acc = read('acc')
    const magnitude = Array.from({ length: acc.times.length }, (_, i) =>
      Math.hypot(acc.samples[3 * i], acc.samples[3 * i + 1], acc.samples[3 * i + 2])
    )
    const column = (c: number) => Array.from({ length: 20 }, (_, k) => window.inputs[0][k * 5 + c])
    expect(hr).toHaveLength(5)
    column(0).forEach((v, k) => expect(v).toBeCloseTo(numpyLinspaceResample(hr, 20)[k], 4))
    column(4).forEach((v, k) => expect(v).toBeCloseTo(numpyLinspaceResample(magnitude, 20)[k], 3))
    expect(window.label).toBe(planted.ratings.get(session.id)![2] > 2 ? 1 : 0)
  })

  it('honours the threshold and target settings', () => {
    const set = extractWindows(planted.study, { preset: 'paper', threshold: 3 })
    const ratings = [...planted.ratings.values()].flat()
    expect(set.classCounts[1]).toBe(ratings.filter((r) => r > 3).length)
    const valence = extractWindows(planted.study, { preset: 'paper', target: 'valence' })
    expect(valence.classCounts).toEqual([0, ratings.length]) // every valence is 3
  })

  it('cuts native-rate windows per sensor on its own grid', () => {
    const set = extractWindows(planted.study, {
      preset: 'native',
      sensors: [
        { name: 'bvp', rateHz: 64, channels: 1 },
        { name: 'acc', rateHz: 32, channels: 3 },
        { name: 'eda', rateHz: 4, channels: 1 }
      ]
    })
    expect(set.inputs.map((i) => [i.steps, i.channels])).toEqual([
      [320, 1],
      [160, 3],
      [20, 1]
    ])
    expect(set.windows[0].inputs.map((i) => i.length)).toEqual([320, 480, 20])
    // The grid starts at the window start, where the planted study has a sample: the first value is that sample.
    const session = planted.study.listSessions()[0]
    const eda = session.streams.find((s) => s.name === 'eda')!
    const first = set.windows.find((w) => w.sessionId === session.id)!
    const raw = new SignalStore(planted.study.db).read(eda.id, first.endMs - 5000, first.endMs)
    expect(first.inputs[2][0]).toBeCloseTo(raw.samples[0], 5)
    expect(first.inputs[2][19]).toBeCloseTo(raw.samples[19], 5)
  })

  it('drops and counts windows over a gap or without a stream', () => {
    const study = planted.study
    const session = study.createSession({
      participantId: study.listParticipants()[0].id,
      name: 'gappy',
      startMs: 0,
      timezone: 'UTC',
      durationMs: 60_000,
      notes: ''
    })
    const signals = new SignalStore(study.db)
    // Continuous signals for 0..30 s except eda, which has a hole from 12 s to 18 s; no hr at all.
    for (const [name, rate, channels] of [
      ['eda', 4, 1],
      ['temp', 4, 1],
      ['bvp', 64, 1],
      ['acc', 32, 3]
    ] as const) {
      const info = signals.createStream(session.id, {
        name,
        unit: '',
        rateHz: rate,
        channels: Array.from({ length: channels }, (_, c) => `c${c}`)
      })
      const times = Array.from({ length: 30 * rate }, (_, i) => (i * 1000) / rate).filter(
        (t) => name !== 'eda' || t < 12_000 || t >= 18_000
      )
      signals.append(info.id, {
        times: Float64Array.from(times),
        samples: new Float32Array(times.length * channels).fill(1),
        channelCount: channels
      })
    }
    new AnnotationStore(study.db).insertAnnotations(
      session.id,
      [5000, 10_000, 15_000, 20_000, 25_000, 30_000].map((end) => ({
        source: 'external',
        rater: 'aggregate',
        startMs: end - 5000,
        endMs: end,
        arousal: end === 30_000 ? null : 4,
        valence: 3,
        emotions: {}
      }))
    )
    const sensors = [
      { name: 'eda', rateHz: 4, channels: 1 },
      { name: 'bvp', rateHz: 64, channels: 1 }
    ]
    const native = extractWindows(study, { preset: 'native', sensors, sessionIds: [session.id] })
    // Windows ending at 15 s and 20 s overlap the hole; the 30-s report has no arousal.
    expect(native.windows.map((w) => w.endMs)).toEqual([5000, 10_000, 25_000])
    expect(native.dropped).toEqual({ missingSignal: 0, gapped: 2, unlabelled: 1 })
    const paper = extractWindows(study, { preset: 'paper', sessionIds: [session.id] })
    expect(paper.windows).toHaveLength(0)
    expect(paper.dropped.missingSignal + paper.dropped.gapped).toBe(5)
    study.deleteSession(session.id)
  })

  it('shifts windows by the session alignment offset', () => {
    const shifted = createPlantedStudy({
      participants: ['1'],
      windowsPerParticipant: 10,
      offsetMs: 2000,
      effect: 6
    })
    try {
      const set = extractWindows(shifted.study, { preset: 'paper' })
      const reportEnds = new AnnotationStore(shifted.study.db)
        .listAnnotations(shifted.study.listSessions()[0].id)
        .map((a) => a.endMs)
      expect(set.windows.map((w) => w.endMs)).toEqual(reportEnds.map((end) => end + 2000))
      // The planted EDA rise follows the shifted window: high windows have clearly higher EDA than low ones.
      const edaMean = (w: (typeof set.windows)[number]) =>
        Array.from({ length: 20 }, (_, k) => w.inputs[0][k * 5 + 1]).reduce((a, b) => a + b) / 20
      const high = set.windows.filter((w) => w.label === 1).map(edaMean)
      const low = set.windows.filter((w) => w.label === 0).map(edaMean)
      expect(Math.min(...high)).toBeGreaterThan(Math.max(...low))
    } finally {
      shifted.close()
    }
  })

  it('fits per-participant z-scores on training windows only', () => {
    const set = extractWindows(planted.study, { preset: 'paper' })
    const [fold] = losoFolds(set.windows)
    const train = fold.train.map((i) => set.windows[i])
    const test = fold.test.map((i) => set.windows[i])
    const stats = fitNormalization(train, set.inputs)
    // The held-out participant has no statistics of its own; it is scaled by the pooled training ones.
    expect(Object.keys(stats.participants).sort()).toEqual(['2', '3'])
    // Independent mean and SD of participant 2's EDA over its training windows.
    const eda = train
      .filter((w) => w.participant === '2')
      .flatMap((w) => Array.from({ length: 20 }, (_, k) => w.inputs[0][k * 5 + 1]))
    const mean = eda.reduce((a, b) => a + b) / eda.length
    const sd = Math.sqrt(eda.reduce((s, v) => s + (v - mean) ** 2, 0) / eda.length)
    expect(stats.participants['2'][0].mean[1]).toBeCloseTo(mean, 4)
    expect(stats.participants['2'][0].std[1]).toBeCloseTo(sd, 4)
    // Changing every test value changes no statistic: nothing of the test fold leaks into the fit.
    const tampered = test.map((w) => ({ ...w, inputs: w.inputs.map((x) => x.map((v) => v * 100 + 7)) }))
    expect(fitNormalization(train, set.inputs)).toEqual(stats)
    const normalizedTest = applyNormalization(tampered, stats)
    expect(normalizedTest[0].inputs[0][1]).toBeCloseTo(
      (tampered[0].inputs[0][1] - stats.pooled[0].mean[1]) / stats.pooled[0].std[1],
      3
    )
    const normalizedTrain = applyNormalization(train, stats).filter((w) => w.participant === '2')
    const z = normalizedTrain.flatMap((w) => Array.from({ length: 20 }, (_, k) => w.inputs[0][k * 5 + 1]))
    expect(z.reduce((a, b) => a + b) / z.length).toBeCloseTo(0, 4)
    expect(train[0].inputs[0][1]).not.toBe(applyNormalization(train, stats)[0].inputs[0][1])
  })

  it('resamples by index like np.interp over np.linspace', () => {
    const values = [3, 1, 4, 1, 5, 9, 2]
    Array.from(resampleByIndex(values, 20)).forEach((v, k) =>
      expect(v).toBeCloseTo(numpyLinspaceResample(values, 20)[k], 5)
    )
  })
})
