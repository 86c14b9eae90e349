import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { defaultWorkerPath } from '../files/worker-path'
import { EmohealError, NotFoundError, type SerializedError } from '../errors'
import type { OverlayKind } from '../ipc/contract'
import { computeOverlays, type Derived, type OverlayStreamInput } from './overlay-compute'
import { prepareFeatures, type FeatureStreams, type PreparedFeatures } from './window-features'

export type OverlayResults = Partial<Record<OverlayKind, Derived>>

/**
 * Where the filters behind the viewer run: a stream's overlays, and a session's filtered streams for the label
 * windows' features. A worker thread in the app, this thread where that is wanted.
 */
export interface OverlayComputer {
  compute(stream: OverlayStreamInput, kinds: readonly OverlayKind[]): Promise<OverlayResults>
  features(streams: FeatureStreams): Promise<PreparedFeatures>
  close(): Promise<void>
}

export type OverlayJob =
  | { id: number; task: 'overlays'; stream: OverlayStreamInput; kinds: readonly OverlayKind[] }
  | { id: number; task: 'features'; streams: FeatureStreams }

export type OverlayReply =
  | { id: number; results: OverlayResults }
  | { id: number; prepared: PreparedFeatures }
  | { id: number; error: SerializedError }

/** On this thread: for tools that run one computation and exit, and for tests of the service's logic. */
export const inThreadOverlays: OverlayComputer = {
  compute: async (stream, kinds) => computeOverlays(stream, kinds),
  features: async (streams) => prepareFeatures(streams),
  close: async () => {}
}

/** The built worker entry, beside the training worker that the same build writes (out/main). */
export function overlayWorkerPath(): string {
  const path = join(dirname(defaultWorkerPath()), 'overlay-worker.js')
  if (!existsSync(path))
    throw new NotFoundError(`no overlay worker: ${path} does not exist; run "npm run build"`)
  return path
}

/**
 * One worker thread, started on the first job and kept for the next (starting a thread costs more than most
 * jobs). It holds the process open only while a job is in flight. If it dies, the jobs in flight fail with the
 * reason and the next job starts a new thread.
 */
export class OverlayWorker implements OverlayComputer {
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<
    number,
    { resolve: (reply: OverlayReply) => void; reject: (e: Error) => void }
  >()

  constructor(private readonly path: () => string = overlayWorkerPath) {}

  async compute(stream: OverlayStreamInput, kinds: readonly OverlayKind[]): Promise<OverlayResults> {
    const reply = await this.run({ id: this.nextId++, task: 'overlays', stream, kinds })
    if (!('results' in reply))
      throw new EmohealError('the overlay worker answered an overlay job with something else')
    return reply.results
  }

  async features(streams: FeatureStreams): Promise<PreparedFeatures> {
    const reply = await this.run({ id: this.nextId++, task: 'features', streams })
    if (!('prepared' in reply))
      throw new EmohealError('the overlay worker answered a features job with something else')
    return reply.prepared
  }

  private run(job: OverlayJob): Promise<OverlayReply> {
    const worker = this.started()
    return new Promise<OverlayReply>((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject })
      worker.ref()
      // The samples are copied, not transferred: the caller's caches keep their own.
      worker.postMessage(job)
    })
  }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = null
    if (worker) await worker.terminate()
  }

  private started(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(this.path())
    worker.on('message', (reply: OverlayReply) => {
      const job = this.pending.get(reply.id)
      if (!job) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) worker.unref()
      if ('error' in reply) {
        const error = new EmohealError(reply.error.message, reply.error.field)
        error.name = reply.error.name
        job.reject(error)
      } else job.resolve(reply)
    })
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null
      for (const job of this.pending.values()) job.reject(error)
      this.pending.clear()
    }
    worker.once('error', fail)
    worker.once('exit', (code) => fail(new EmohealError(`the overlay worker stopped (exit code ${code})`)))
    worker.unref()
    this.worker = worker
    return worker
  }
}
