import type { StreamInfo } from '../ipc/contract'
import type { SignalData, SignalStore } from '../store/signal-store'

interface Entry {
  sampleCount: number
  data: SignalData
  bytes: number
}

/**
 * Decoded streams kept in memory between view calls: panning asks for a new range many times a second, and
 * decoding the same chunks from SQLite each time would cost more than reducing them. An entry is reloaded
 * when its stream has grown (a recording still appending), and the least recently used go first past the limit.
 */
export class StreamCache {
  private readonly entries = new Map<number, Entry>()
  private total = 0

  constructor(
    private readonly signals: SignalStore,
    private readonly limitBytes = 256 * 1024 * 1024
  ) {}

  get(stream: StreamInfo): SignalData {
    const cached = this.entries.get(stream.id)
    if (cached && cached.sampleCount === stream.sampleCount) {
      this.entries.delete(stream.id)
      this.entries.set(stream.id, cached)
      return cached.data
    }
    if (cached) this.drop(stream.id)
    const data = this.signals.read(stream.id)
    const entry = {
      sampleCount: stream.sampleCount,
      data,
      bytes: data.times.byteLength + data.samples.byteLength
    }
    this.entries.set(stream.id, entry)
    this.total += entry.bytes
    for (const [key] of this.entries) {
      if (this.total <= this.limitBytes || key === stream.id) break
      this.drop(key)
    }
    return data
  }

  private drop(streamId: number): void {
    const entry = this.entries.get(streamId)
    if (!entry) return
    this.total -= entry.bytes
    this.entries.delete(streamId)
  }
}
