import { parentPort } from 'node:worker_threads'
import { serializeError } from '../errors'
import { computeOverlays } from './overlay-compute'
import type { OverlayJob, OverlayReply } from './overlay-computer'
import { prepareFeatures } from './window-features'

/*
 * Entry of the overlay worker thread (out/main/overlay-worker.js): filters and peak detection for the Annotate
 * overlays and for the Labels table's window features run here, so that a long session's first request does not stall the main process (IPC, the serve
 * mode's WebSocket, a recording's writes) for the seconds they take. One thread serves every job, in order.
 */
const port = parentPort
if (port) {
  port.on('message', (job: OverlayJob) => {
    let reply: OverlayReply
    // A Set: a buffer listed twice is a DataCloneError (filter outputs are views that could share one).
    const transfer = new Set<ArrayBuffer>()
    try {
      if (job.task === 'features') reply = { id: job.id, prepared: prepareFeatures(job.streams) }
      else {
        const results = computeOverlays(job.stream, job.kinds)
        for (const derived of Object.values(results))
          if (derived && 'values' in derived) transfer.add(derived.values.buffer as ArrayBuffer)
        reply = { id: job.id, results }
      }
    } catch (error) {
      reply = { id: job.id, error: serializeError(error) }
    }
    port.postMessage(reply, [...transfer])
  })
}
