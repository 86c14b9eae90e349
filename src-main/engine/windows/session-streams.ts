import type { Session } from '../../ipc/contract'
import type { SignalStore } from '../../store/signal-store'
import type { LoadedStream } from './extract'

/**
 * The streams a window reads from a stored session, made the same whatever wristband recorded them:
 * - ACC stored in g (EmbracePlus) is scaled to the E4's 1/64 g, so that a model trained on E4 sessions
 *   reads an EmbracePlus session at the scale it learnt;
 * - where a session has no heart-rate stream but inter-beat intervals (EmbracePlus derives them from its
 *   systolic peaks), heart rate is 60 / IBI at each beat, judged for gaps as a 1 Hz stream like the E4's.
 * Every other stream is read at its own rate: an EmbracePlus TEMP at 1 Hz, an E4 TEMP at 4 Hz.
 */

/** Stored ACC units, as multiples of the 1/64 g the engine reads (standard gravity for m/s²). */
const ACC_SCALE: Record<string, number> = { '1/64 g': 1, g: 64, 'm/s²': 64 / 9.80665 }

/**
 * What a stored stream's values are multiplied by for the engine: 1 except for ACC in another unit than
 * the E4's. Exported so that a live buffer can be read by the same rule.
 */
export function engineScale(name: string, unit: string): number {
  return name === 'acc' ? (ACC_SCALE[unit] ?? 1) : 1
}

/** The rate whose gap tolerance judges a heart rate derived from beats: the E4's HR.csv rate. */
const BEAT_HR_RATE_HZ = 1

function scaled(stream: LoadedStream, factor: number): LoadedStream {
  if (factor === 1) return stream
  const samples = Float32Array.from(stream.data.samples, (value) => value * factor)
  return { rateHz: stream.rateHz, data: { ...stream.data, samples } }
}

function heartRateFromBeats(ibi: LoadedStream): LoadedStream {
  const samples = Float32Array.from(ibi.data.samples, (seconds) => 60 / seconds)
  return { rateHz: BEAT_HR_RATE_HZ, data: { times: ibi.data.times, samples, channelCount: 1 } }
}

export function loadSessionStreams(
  signals: SignalStore,
  session: Session,
  names: string[]
): Map<string, LoadedStream> {
  const streams = new Map<string, LoadedStream>()
  const read = (name: string): LoadedStream | undefined => {
    const info = session.streams.find((stream) => stream.name === name)
    return info ? { rateHz: info.rateHz, data: signals.read(info.id) } : undefined
  }
  for (const name of names) {
    const stream = read(name)
    if (stream) {
      const unit = session.streams.find((info) => info.name === name)!.unit
      streams.set(name, scaled(stream, engineScale(name, unit)))
    } else if (name === 'hr') {
      const ibi = read('ibi')
      if (ibi) streams.set(name, heartRateFromBeats(ibi))
    }
  }
  return streams
}
