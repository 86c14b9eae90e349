import type { SampleChunk, SourceStream } from '../../devices/live-source'

/** Samples a second a live plot needs: BVP's pulse shape still shows at 32 Hz, and 20 s stay ~640 points. */
export const DISPLAY_HZ = 32

/**
 * Keeps every k-th sample of each stream for display (k = rate / DISPLAY_HZ, rounded), counting across
 * chunks so that the kept samples stay evenly spaced however the source cuts its chunks.
 */
export class DisplayDecimator {
  private readonly seen = new Map<string, number>()
  private readonly steps = new Map<string, { step: number; channels: number }>()

  constructor(streams: SourceStream[], displayHz = DISPLAY_HZ) {
    for (const stream of streams)
      this.steps.set(stream.name, {
        step: Math.max(1, Math.round(stream.rateHz / displayHz)),
        channels: stream.channels.length
      })
  }

  take(chunk: SampleChunk): { name: string; times: number[]; values: number[] } {
    const { step, channels } = this.steps.get(chunk.stream) ?? { step: 1, channels: 1 }
    let seen = this.seen.get(chunk.stream) ?? 0
    const times: number[] = []
    const values: number[] = []
    for (let i = 0; i < chunk.times.length; i++, seen++) {
      if (seen % step !== 0) continue
      times.push(chunk.times[i])
      for (let c = 0; c < channels; c++) values.push(chunk.values[i * channels + c])
    }
    this.seen.set(chunk.stream, seen)
    return { name: chunk.stream, times, values }
  }
}
