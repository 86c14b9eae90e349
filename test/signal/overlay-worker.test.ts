import { rmSync } from 'node:fs'
import { bundleEntry } from '../support/bundled-cli'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildViewerStudy } from '../../bench/viewer.study'
import type { OverlayKind } from '../../src-main/ipc/contract'
import { inThreadOverlays, OverlayWorker } from '../../src-main/signal/overlay-computer'
import { SignalOverlayService } from '../../src-main/signal/overlay-service'
import { SessionFeatureCache, sessionWindowFeatures } from '../../src-main/signal/session-features'
import { StreamCache } from '../../src-main/signal/stream-cache'
import { SignalStore } from '../../src-main/store/signal-store'
import { StudyStore } from '../../src-main/store/study-store'
import { tempDir } from '../e2e/harness'

const repoRoot = resolve(__dirname, '..', '..')
// Bundled as the app's build bundles it, under node_modules so that its externals (fft.js) resolve.
const workerPath = join(
  repoRoot,
  'node_modules',
  '.cache',
  'emoheal-test',
  `overlay-worker-${process.pid}.js`
)

const BVP_KINDS: OverlayKind[] = ['cleaned', 'beats', 'hr', 'quality']

describe('overlays computed in a worker thread', () => {
  let study: StudyStore
  let sessionId: number
  let worker: OverlayWorker
  const stream = (name: string) => study.getSession(sessionId).streams.find((s) => s.name === name)!
  const service = (computer = worker as OverlayWorker | typeof inThreadOverlays) =>
    new SignalOverlayService(study, new StreamCache(new SignalStore(study.db)), computer)

  beforeAll(async () => {
    await bundleEntry('src-main/signal/overlay-worker.ts', workerPath)
    const path = join(tempDir('emoheal-overlay-worker-'), 'overlays.emoheal-study')
    // An hour of E4-rate signals: long enough that the filters take a visible time.
    sessionId = buildViewerStudy(path, { minutes: 60, reportMinutes: 5, reportsFromMinute: 1 }).sessionId
    study = new StudyStore(path)
    worker = new OverlayWorker(() => workerPath)
  }, 120_000)
  afterAll(async () => {
    await worker?.close()
    study?.close()
    rmSync(workerPath, { force: true })
  })

  it('gives exactly what the same computation gives on this thread, for every stream and kind', async () => {
    for (const [name, kinds] of [
      ['bvp', BVP_KINDS],
      ['eda', ['cleaned', 'tonic', 'phasic', 'scr', 'quality']],
      ['acc', ['motion']],
      ['temp', ['cleaned']]
    ] as [string, OverlayKind[]][]) {
      const request = { sessionId, streamId: stream(name).id, kinds, points: 4000 }
      const [inWorker, here] = await Promise.all([
        service().overlays(request),
        service(inThreadOverlays).overlays(request)
      ])
      expect(inWorker).toEqual(here)
      expect(inWorker.results.every((r) => r.line || r.marks || r.spans || r.note)).toBe(true)
    }
  })

  it("keeps the main thread's event loop turning while a long stream is filtered", async () => {
    const ticksDuring = async (computer: OverlayWorker | typeof inThreadOverlays) => {
      let ticks = 0
      const timer = setInterval(() => ticks++, 5)
      // A tick first, so that only the computation's own time is counted.
      await new Promise((r) => setTimeout(r, 20))
      ticks = 0
      const started = performance.now()
      await service(computer).overlays({ sessionId, streamId: stream('bvp').id, kinds: BVP_KINDS })
      clearInterval(timer)
      return { ticks, ms: performance.now() - started }
    }
    const here = await ticksDuring(inThreadOverlays)
    const off = await ticksDuring(worker)
    // On this thread the loop stands still for the whole computation; with the worker it keeps turning.
    expect(here.ticks).toBe(0)
    expect(here.ms).toBeGreaterThan(20)
    expect(off.ticks).toBeGreaterThanOrEqual(Math.min(3, Math.floor(off.ms / 20)))
    expect(off.ticks).toBeGreaterThan(0)
  })

  it('computes a stream once when two requests ask at the same time, and the cache answers the next', async () => {
    const shared = service()
    const request = { sessionId, streamId: stream('eda').id, kinds: ['tonic', 'scr'] as OverlayKind[] }
    const [a, b] = await Promise.all([shared.overlays(request), shared.overlays(request)])
    expect(a).toEqual(b)
    const computed = shared.computations
    // cleaned, tonic, phasic, scr: the prerequisites come back with the kinds asked.
    expect(computed).toBe(4)
    await shared.overlays({ ...request, fromMs: a.fromMs + 60_000, toMs: a.fromMs + 120_000 })
    expect(shared.computations).toBe(computed)
  })

  it("filters a session's streams for the Labels table's features in the worker, to the same windows", async () => {
    const { startMs } = study.getSession(sessionId)
    // 10-s windows every 5 minutes through the hour.
    const windows = Array.from({ length: 11 }, (_, k) => ({
      startMs: startMs + (k + 1) * 300_000 - 10_000,
      endMs: startMs + (k + 1) * 300_000
    }))
    const warmed = new SessionFeatureCache(4, worker)
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    await new Promise((r) => setTimeout(r, 20))
    ticks = 0
    await warmed.warm(study, sessionId)
    clearInterval(timer)
    // The hour's filters ran off this thread: the loop kept turning.
    expect(ticks).toBeGreaterThan(0)
    const fromWorker = sessionWindowFeatures(study, sessionId, windows, warmed)
    const here = sessionWindowFeatures(study, sessionId, windows)
    expect(fromWorker).toEqual(here)
    expect(fromWorker.features.some((f) => f.hrMean !== null && f.edaTonicMean !== null)).toBe(true)
  })

  it('starts a new thread after the old one is gone', async () => {
    await worker.close()
    const result = await service().overlays({ sessionId, streamId: stream('temp').id, kinds: ['cleaned'] })
    expect(result.results[0].line!.count).toBeGreaterThan(0)
  })

  it('fails a request with a clear error when the worker file is missing, and the service stays usable', async () => {
    const missing = new OverlayWorker(() => join(tempDir('emoheal-no-worker-'), 'overlay-worker.js'))
    await expect(
      service(missing).overlays({ sessionId, streamId: stream('temp').id, kinds: ['cleaned'] })
    ).rejects.toThrow(/overlay-worker\.js|Cannot find module/)
    await missing.close()
  })
})
