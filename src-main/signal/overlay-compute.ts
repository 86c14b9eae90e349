import type { OverlayKind } from '../ipc/contract'
import { accMagnitude, motionFlags } from './dsp/acc'
import { edaClean, edaPeaks, edaPhasic } from './dsp/eda'
import { heartRate, ppgClean, ppgFindPeaks } from './dsp/ppg'
import { windowQuality } from './dsp/quality'
import { temperatureSmooth } from './dsp/temp'

/** One stream's samples as the overlays need them: interleaved channels, at a nominal rate. */
export interface OverlayStreamInput {
  name: string
  rateHz: number
  channelCount: number
  samples: Float32Array
}

/** What a stream's overlay is drawn from, or why it has none (the note travels as the kind's note). */
export type Derived =
  | { type: 'line'; values: Float64Array; note?: string }
  | { type: 'events'; indices: number[]; values: Float64Array; note?: string }
  | { type: 'spans'; spans: { start: number; end: number; value: number }[]; note?: string }
  | { type: 'note'; note: string }

/** A motion pause shorter than this joins the stretches either side of it, so a shaking wrist is one span. */
const MOTION_JOIN_S = 1

class OverlayNote extends Error {}

/**
 * Derives the asked kinds of one stream, with the kinds they are built on (EDA tonic from the cleaned EDA, the
 * heart rate from the beats), each once: the result holds every kind it computed, so the caller can cache them
 * all. Pure and synchronous; the overlay worker runs it off the main thread.
 */
export function computeOverlays(
  stream: OverlayStreamInput,
  kinds: readonly OverlayKind[]
): Partial<Record<OverlayKind, Derived>> {
  const done: Partial<Record<OverlayKind, Derived>> = {}
  const count = stream.channelCount > 0 ? stream.samples.length / stream.channelCount : 0
  const rate = stream.rateHz
  const channel = (c: number): Float64Array => {
    const out = new Float64Array(count)
    for (let i = 0; i < count; i++) out[i] = stream.samples[i * stream.channelCount + c]
    return out
  }
  const get = (kind: OverlayKind): Derived => {
    let entry = done[kind]
    if (!entry) {
      try {
        entry = derive(kind)
      } catch (error) {
        entry = { type: 'note', note: error instanceof Error ? error.message : String(error) }
      }
      done[kind] = entry
    }
    if (entry.type === 'note') throw new OverlayNote(entry.note)
    return entry
  }
  const line = (kind: OverlayKind) => get(kind) as Extract<Derived, { type: 'line' }>
  const events = (kind: OverlayKind) => get(kind) as Extract<Derived, { type: 'events' }>
  const derive = (kind: OverlayKind): Derived => {
    if (!(rate > 0)) throw new OverlayNote(`${stream.name} is an event stream: no ${kind} overlay`)
    if (count < 2) throw new OverlayNote(`${stream.name} has ${count} samples: too short`)
    switch (`${stream.name}.${kind}`) {
      case 'eda.cleaned': {
        const result = edaClean(channel(0), rate)
        return { type: 'line', values: result.cleaned, note: result.note }
      }
      case 'eda.tonic':
      case 'eda.phasic': {
        const cleaned = line('cleaned')
        const split = edaPhasic(cleaned.values, rate, 'highpass')
        // Both halves come out of one split: keep the other too.
        done[kind === 'tonic' ? 'phasic' : 'tonic'] = {
          type: 'line',
          values: kind === 'tonic' ? split.phasic : split.tonic,
          note: cleaned.note
        }
        return { type: 'line', values: kind === 'tonic' ? split.tonic : split.phasic, note: cleaned.note }
      }
      case 'eda.scr': {
        const found = edaPeaks(line('phasic').values)
        const raw = channel(0)
        return { type: 'events', indices: found.peaks, values: Float64Array.from(found.peaks, (i) => raw[i]) }
      }
      case 'bvp.cleaned':
        if (rate <= 16)
          throw new OverlayNote(`BVP at ${rate} Hz: the 0.5-8 Hz band-pass needs more than 16 Hz`)
        return { type: 'line', values: ppgClean(channel(0), rate) }
      case 'bvp.beats': {
        const beats = ppgFindPeaks(line('cleaned').values, rate)
        const raw = channel(0)
        return { type: 'events', indices: beats, values: Float64Array.from(beats, (i) => raw[i]) }
      }
      case 'bvp.hr': {
        const beats = events('beats')
        return { type: 'events', indices: beats.indices, values: heartRate(beats.indices, rate).atBeats }
      }
      case 'bvp.quality':
        return qualitySpans(windowQuality(channel(0), rate, {}, events('beats').indices))
      case 'eda.quality':
        return qualitySpans(windowQuality(channel(0), rate, { validMin: 0.01, validMax: 100 }))
      case 'acc.motion': {
        if (stream.channelCount < 3)
          throw new OverlayNote(`acc has ${stream.channelCount} axes; motion needs 3`)
        const flags = motionFlags(accMagnitude(channel(0), channel(1), channel(2)), rate)
        return { type: 'spans', spans: flagSpans(flags, Math.round(MOTION_JOIN_S * rate)) }
      }
      case 'temp.cleaned':
        return { type: 'line', values: temperatureSmooth(channel(0), rate) }
    }
    throw new OverlayNote(`${kind} is not computed for ${stream.name} streams`)
  }
  for (const kind of kinds) {
    try {
      get(kind)
    } catch (error) {
      if (!(error instanceof OverlayNote)) throw error
    }
  }
  return done
}

function qualitySpans(windows: ReturnType<typeof windowQuality>): Derived {
  return { type: 'spans', spans: windows.map((w) => ({ start: w.start, end: w.end, value: w.index })) }
}

/** Runs of set flags as [start, end) sample spans, joining runs less than `join` samples apart. */
export function flagSpans(flags: Uint8Array, join: number): { start: number; end: number; value: number }[] {
  const spans: { start: number; end: number; value: number }[] = []
  let i = 0
  while (i < flags.length) {
    if (!flags[i]) {
      i++
      continue
    }
    let end = i
    while (end < flags.length && flags[end]) end++
    const previous = spans.at(-1)
    if (previous && i - previous.end < join) previous.end = end
    else spans.push({ start: i, end, value: 1 })
    i = end
  }
  return spans
}
