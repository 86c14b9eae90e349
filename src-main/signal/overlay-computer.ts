import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { defaultWorkerPath } from '../engine/evaluation/worker-path'
import { EmohealError, NotFoundError, type SerializedError } from '../errors'
import type { OverlayKind } from '../ipc/contract'
import { computeOverlays, type Derived, type OverlayStreamInput } from './overlay-compute'

export type OverlayResults = Partial<Record<OverlayKind, Derived>>

/** Where the overlays of a stream are computed: a worker thread in the app, this thread where that is wanted. */
export interface OverlayComputer {
  compute(stream: OverlayStreamInput, kinds: readonly OverlayKind[]): Promise<OverlayResults>
  close(): Promise<void>
}

export interface OverlayJob {
  id: number
  stream: OverlayStreamInput
  kinds: readonly OverlayKind[]
}

export type OverlayReply = { id: number; results: OverlayResults } | { id: number; error: SerializedError }

/** On this thread: for tools that run one computation and exit, and for tests of the service's logic. */
export const inThreadOverlays: OverlayComputer = {
  compute: async (stream, kinds) => computeOverlays(stream, kinds),
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
    { resolve: (r: OverlayResults) => void; reject: (e: Error) => void }
  >()

  constructor(private readonly path: () => string = overlayWorkerPath) {}

  compute(stream: OverlayStreamInput, kinds: readonly OverlayKind[]): Promise<OverlayResults> {
    const worker = this.started()
    const id = this.nextId++
    return new Promise<OverlayResults>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.ref()
      // The samples are copied, not transferred: the caller's stream cache keeps its own.
      worker.postMessage({ id, stream, kinds } satisfies OverlayJob)
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
      } else job.resolve(reply.results)
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
