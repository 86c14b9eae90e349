import { NotFoundError, ValidationError } from '../errors'
import type { StreamInfo } from '../ipc/contract'
import type { Db } from './study-file'
import { toStreamInfo } from './study-store'

/** Samples of one stream: epoch-ms times and channel-interleaved values (sample i, channel c at i * channels + c). */
export interface SignalData {
  times: Float64Array
  samples: Float32Array
  channelCount: number
}

export interface NewStream {
  name: string
  unit: string
  rateHz: number
  channels: string[]
}

/** Samples per chunk: large enough that a two-hour 64 Hz stream is a few hundred rows, small enough to read a zoomed view cheaply. */
export const CHUNK_SAMPLES = 8192
/**
 * A recording's chunk stops growing at this span: each commit rewrites the growing chunk, so a longer span
 * writes every sample more often (to the WAL, then the file), and a shorter one makes more rows to read.
 */
export const LIVE_CHUNK_MS = 2000

function blobOf(array: Float64Array | Float32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength)
}

function float64Of(blob: Buffer): Float64Array {
  const copy = new Uint8Array(blob.byteLength)
  copy.set(blob)
  return new Float64Array(copy.buffer)
}

function float32Of(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength)
  copy.set(blob)
  return new Float32Array(copy.buffer)
}

/**
 * Signal streams stored as chunks of explicit timestamps and float32 samples. Explicit timestamps keep
 * what the device or file really said (gaps, jitter, irregular events such as IBI) instead of assuming a
 * perfect rate.
 */
export class SignalStore {
  constructor(private readonly db: Db) {}

  createStream(sessionId: number, stream: NewStream): StreamInfo {
    const result = this.db
      .prepare('INSERT INTO stream (session_id, name, unit, rate_hz, channels) VALUES (?, ?, ?, ?, ?)')
      .run(sessionId, stream.name, stream.unit, stream.rateHz, JSON.stringify(stream.channels))
    return this.getStream(Number(result.lastInsertRowid))
  }

  getStream(streamId: number): StreamInfo {
    const row = this.db.prepare('SELECT * FROM stream WHERE id = ?').get(streamId)
    if (!row) throw new NotFoundError(`stream ${streamId} does not exist`, 'streamId')
    return toStreamInfo(row as Parameters<typeof toStreamInfo>[0])
  }

  findStream(sessionId: number, name: string): StreamInfo | undefined {
    const row = this.db.prepare('SELECT * FROM stream WHERE session_id = ? AND name = ?').get(sessionId, name)
    return row ? toStreamInfo(row as Parameters<typeof toStreamInfo>[0]) : undefined
  }

  /** Throws unless `data` has the stream's channel count and one value per channel and time. */
  private check(streamId: number, data: SignalData): void {
    const stream = this.getStream(streamId)
    if (data.channelCount !== stream.channels.length) {
      throw new ValidationError(
        `stream ${stream.name} has ${stream.channels.length} channels, got ${data.channelCount}`,
        'channels'
      )
    }
    if (data.samples.length !== data.times.length * data.channelCount) {
      throw new ValidationError(
        `stream ${stream.name}: ${data.times.length} times but ${data.samples.length} values`,
        'samples'
      )
    }
  }

  /** Appends samples (times must not go backwards relative to what is stored). Call inside a transaction for atomic imports. */
  append(streamId: number, data: SignalData): void {
    this.check(streamId, data)
    const n = data.times.length
    if (n === 0) return
    const last = this.db.prepare('SELECT max(seq) AS seq FROM chunk WHERE stream_id = ?').get(streamId) as {
      seq: number | null
    }
    let seq = (last.seq ?? -1) + 1
    const insert = this.db.prepare(
      'INSERT INTO chunk (stream_id, seq, start_ms, end_ms, sample_count, times, samples) VALUES (?, ?, ?, ?, ?, ?, ?)'
    )
    for (let from = 0; from < n; from += CHUNK_SAMPLES) {
      const to = Math.min(n, from + CHUNK_SAMPLES)
      const times = data.times.subarray(from, to)
      const samples = data.samples.subarray(from * data.channelCount, to * data.channelCount)
      insert.run(
        streamId,
        seq++,
        times[0],
        times[times.length - 1],
        to - from,
        blobOf(times),
        blobOf(samples)
      )
    }
    this.db
      .prepare(
        `UPDATE stream SET sample_count = sample_count + ?, start_ms = coalesce(min(start_ms, ?), ?),
         end_ms = coalesce(max(end_ms, ?), ?) WHERE id = ?`
      )
      .run(n, data.times[0], data.times[0], data.times[n - 1], data.times[n - 1], streamId)
  }

  /**
   * Appends samples of a recording in progress, which commits a little several times a second: the stream's
   * last chunk grows until it holds CHUNK_SAMPLES samples or spans LIVE_CHUNK_MS, and only then does a new
   * one begin, so that an hour's recording reads as a few thousand chunks, not one per commit. Call inside
   * the commit's transaction.
   */
  appendLive(streamId: number, data: SignalData): void {
    this.check(streamId, data)
    const n = data.times.length
    if (n === 0) return
    const last = this.db
      .prepare(
        'SELECT id, start_ms, sample_count, times, samples FROM chunk WHERE stream_id = ? ORDER BY seq DESC LIMIT 1'
      )
      .get(streamId) as
      { id: number; start_ms: number; sample_count: number; times: Buffer; samples: Buffer } | undefined
    let taken = 0
    if (last && last.sample_count < CHUNK_SAMPLES && data.times[0] - last.start_ms < LIVE_CHUNK_MS) {
      taken = Math.min(n, CHUNK_SAMPLES - last.sample_count)
      const times = data.times.subarray(0, taken)
      const samples = data.samples.subarray(0, taken * data.channelCount)
      this.db
        .prepare('UPDATE chunk SET end_ms = ?, sample_count = ?, times = ?, samples = ? WHERE id = ?')
        .run(
          times[taken - 1],
          last.sample_count + taken,
          Buffer.concat([last.times, blobOf(times)]),
          Buffer.concat([last.samples, blobOf(samples)]),
          last.id
        )
      this.db
        .prepare(
          `UPDATE stream SET sample_count = sample_count + ?, end_ms = coalesce(max(end_ms, ?), ?) WHERE id = ?`
        )
        .run(taken, times[taken - 1], times[taken - 1], streamId)
    }
    if (taken < n)
      this.append(streamId, {
        times: data.times.subarray(taken),
        samples: data.samples.subarray(taken * data.channelCount),
        channelCount: data.channelCount
      })
  }

  /** Reads samples with fromMs <= t < toMs (the whole stream when no range is given). */
  read(streamId: number, fromMs = -Infinity, toMs = Infinity): SignalData {
    const stream = this.getStream(streamId)
    const channelCount = stream.channels.length
    const rows = this.db
      .prepare(
        'SELECT times, samples FROM chunk WHERE stream_id = ? AND end_ms >= ? AND start_ms < ? ORDER BY seq'
      )
      .all(streamId, Number.isFinite(fromMs) ? fromMs : -1e300, Number.isFinite(toMs) ? toMs : 1e300) as {
      times: Buffer
      samples: Buffer
    }[]
    const parts = rows.map((row) => ({ times: float64Of(row.times), samples: float32Of(row.samples) }))
    let total = 0
    for (const part of parts) {
      for (const t of part.times) if (t >= fromMs && t < toMs) total++
    }
    const times = new Float64Array(total)
    const samples = new Float32Array(total * channelCount)
    let k = 0
    for (const part of parts) {
      for (let i = 0; i < part.times.length; i++) {
        const t = part.times[i]
        if (t < fromMs || t >= toMs) continue
        times[k] = t
        for (let c = 0; c < channelCount; c++)
          samples[k * channelCount + c] = part.samples[i * channelCount + c]
        k++
      }
    }
    return { times, samples, channelCount }
  }
}
