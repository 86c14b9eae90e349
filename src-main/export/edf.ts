import { ValidationError } from '../errors'
import { writeFileAtomically } from '../files/atomic-file'
import type { StreamInfo } from '../ipc/contract'
import { AnnotationStore } from '../store/annotation-store'
import { RecordingStore } from '../store/recording-store'
import { SignalStore, type SignalData } from '../store/signal-store'
import type { StudyStore } from '../store/study-store'
import { float32Text } from './session-csv'
import {
  asciiOf,
  fixed,
  formatDecimal,
  limitText,
  localParts,
  onsetText,
  recordDuration,
  startFields,
  subfield,
  talText
} from './edf-fields'

export type EdfFormat = 'edf' | 'bdf'

export interface EdfExportOptions {
  /** 'edf' writes EDF+ with 16-bit samples, 'bdf' writes BDF+ with 24-bit samples (finer steps, same layout). */
  format: EdfFormat
}

export interface EdfSignalSummary {
  label: string
  stream: string
  unit: string
  rateHz: number
  samplesPerRecord: number
  physicalMin: number
  physicalMax: number
  digitalMin: number
  digitalMax: number
  /** Samples written; slots of the record grid without one hold digitalMin. */
  samples: number
  /** Largest distance between a sample's stored time and its slot on the record grid, in ms (at most half a period). */
  maxShiftMs: number
}

export interface EdfExportSummary {
  out: string
  sessionId: number
  format: EdfFormat
  /** 'EDF+C' / 'BDF+C' for a continuous file, 'EDF+D' / 'BDF+D' when records are missing or the recording had gaps. */
  fileType: string
  /** Epoch ms of the grid's origin (the header's start): the whole second at or just before the first sample. */
  startMs: number
  recordDurationS: number
  records: number
  /** Records of the grid that held no sample of any signal and were left out (EDF+D only). */
  omittedRecords: number
  signals: EdfSignalSummary[]
  annotations: { markers: number; annotations: number; gaps: number; events: number }
}

const LAYOUT = {
  edf: {
    bytes: 2,
    digitalMin: -32768,
    digitalMax: 32767,
    version: '0',
    plus: 'EDF+',
    annotations: 'EDF Annotations'
  },
  bdf: {
    bytes: 3,
    digitalMin: -8388608,
    digitalMax: 8388607,
    // The first byte is 0xFF, which the ASCII header text cannot carry; it is set on the bytes below.
    version: ' BIOSEMI',
    plus: 'BDF+',
    annotations: 'BDF Annotations'
  }
} as const

/** Share of the data's range added on both sides, so that rounding the header's 8-character limits never clips. */
const RANGE_MARGIN = 0.01

interface SignalPlan {
  stream: StreamInfo
  channel: number
  label: string
  unit: string
  samplesPerRecord: number
  physicalMinText: string
  physicalMaxText: string
  digital: Int32Array
  samples: number
  maxShiftMs: number
}

interface Tal {
  onsetS: number
  durationS: number | null
  text: string
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function signalLabel(stream: StreamInfo, channel: number): string {
  const label = stream.channels.length > 1 ? `${stream.name} ${stream.channels[channel]}` : stream.name
  const ascii = asciiOf(label)
  if (ascii === null || ascii.length > 16)
    throw new ValidationError(
      `signal label "${label}" (stream ${stream.name}) must be at most 16 ASCII characters in EDF: rename the stream or channel`,
      'label'
    )
  return ascii
}

function unitOf(stream: StreamInfo): string {
  const ascii = asciiOf(stream.unit)
  if (ascii === null || ascii.length > 8)
    throw new ValidationError(
      `stream ${stream.name}: unit "${stream.unit}" must be at most 8 ASCII characters in EDF`,
      'unit'
    )
  return ascii
}

/** EDF has no value for "not a number"; a NaN in the study is a fault upstream, not a gap, so it is refused. */
function requireFinite(stream: StreamInfo, data: SignalData): void {
  const width = data.channelCount
  for (let i = 0; i < data.times.length; i++) {
    if (!Number.isFinite(data.times[i]))
      throw new ValidationError(`stream ${stream.name}: sample ${i} has no finite time`, 'times')
    for (let c = 0; c < width; c++) {
      const value = data.samples[i * width + c]
      if (!Number.isFinite(value))
        throw new ValidationError(
          `stream ${stream.name} channel ${stream.channels[c]}: the sample at ${iso(data.times[i])} is ${value}; EDF cannot hold it`,
          'samples'
        )
    }
  }
}

/** Physical limits from the data with a margin; a constant or empty signal still gets a range readers can divide by. */
function physicalLimits(values: Float32Array, channel: number, width: number): { min: string; max: string } {
  let min = Infinity
  let max = -Infinity
  for (let i = channel; i < values.length; i += width) {
    if (values[i] < min) min = values[i]
    if (values[i] > max) max = values[i]
  }
  if (min > max) return { min: '-1', max: '1' }
  const range = max - min
  const pad = range > 0 ? range * RANGE_MARGIN : Math.max(Math.abs(min) * RANGE_MARGIN, 1)
  return {
    min: limitText(min - pad, 'down', 'physicalMin'),
    max: limitText(max + pad, 'up', 'physicalMax')
  }
}

/**
 * Writes one session as EDF+ (16-bit) or BDF+ (24-bit), the formats EEG and physiology tools open. Every channel of
 * every regularly sampled stream is one signal at the stream's nominal rate; data records last the shortest time that
 * holds a whole number of samples of every rate. Stored times are explicit, so each sample goes to the nearest slot
 * of its rate's grid from the file start (off by at most half a period); two samples in one slot are refused, and a
 * slot without a sample holds the digital minimum, which no sample reaches because of the range margin. Records
 * without any sample are left out and the file is EDF+D, as it is whenever the recording logged gaps. Markers,
 * annotations (with arousal and valence), gaps and irregular event streams (IBI) become annotations. The file
 * appears complete or not at all; an existing file is replaced.
 */
export async function exportSessionEdf(
  study: StudyStore,
  sessionId: number,
  out: string,
  options: EdfExportOptions
): Promise<EdfExportSummary> {
  const layout = LAYOUT[options.format]
  const session = study.getSession(sessionId)
  if (session.streams.length === 0)
    throw new ValidationError(`session ${sessionId} has no streams to export`, 'sessionId')
  const store = new SignalStore(study.db)
  const regular = session.streams.filter((stream) => stream.rateHz > 0)
  const events = session.streams.filter((stream) => !(stream.rateHz > 0))
  if (regular.length === 0)
    throw new ValidationError(
      `session ${sessionId} has only irregular event streams; EDF needs at least one sampled stream`,
      'streams'
    )
  const data = new Map<number, SignalData>()
  for (const stream of session.streams) {
    const read = store.read(stream.id)
    requireFinite(stream, read)
    data.set(stream.id, read)
  }
  let firstMs = Infinity
  let lastMs = -Infinity
  for (const stream of regular) {
    const times = data.get(stream.id)!.times
    if (times.length === 0) continue
    firstMs = Math.min(firstMs, times[0])
    lastMs = Math.max(lastMs, times[times.length - 1])
  }
  if (!Number.isFinite(firstMs))
    throw new ValidationError(`session ${sessionId} has streams but no samples to export`, 'streams')

  const duration = recordDuration(regular.map((stream) => ({ name: stream.name, rateHz: stream.rateHz })))
  const recordS = duration.numerator / duration.denominator
  // The header's start time has whole seconds, so the grid's origin is one. A first sample a few ms before a whole
  // second (clock jitter) still belongs to that second's first slot rather than to a nearly empty record before it.
  const halfPeriodMs = 500 / Math.max(...regular.map((stream) => stream.rateHz))
  const startMs = Math.floor((firstMs + halfPeriodMs) / 1000) * 1000
  const recordCount = Math.floor((lastMs - startMs) / 1000 / recordS) + 1
  const hasData = new Uint8Array(recordCount)

  const labels = new Set<string>()
  const plans: SignalPlan[] = []
  for (const stream of regular) {
    const unit = unitOf(stream)
    const read = data.get(stream.id)!
    const width = read.channelCount
    const samplesPerRecord = Math.round(stream.rateHz * recordS)
    const periodMs = 1000 / stream.rateHz
    const slots = new Int32Array(read.times.length)
    let maxShiftMs = 0
    for (let i = 0; i < read.times.length; i++) {
      const position = ((read.times[i] - startMs) * stream.rateHz) / 1000
      slots[i] = Math.max(0, Math.round(position))
      maxShiftMs = Math.max(maxShiftMs, Math.abs(position - slots[i]) * periodMs)
      if (i > 0 && slots[i] <= slots[i - 1])
        throw new ValidationError(
          `stream ${stream.name}: samples at ${iso(read.times[i - 1])} and ${iso(read.times[i])} fall into the same slot of its ${stream.rateHz} Hz grid (a duplicate time, or a clock that ran half a period off its nominal rate)`,
          'times'
        )
      hasData[Math.floor(slots[i] / samplesPerRecord)] = 1
    }
    for (let channel = 0; channel < width; channel++) {
      const label = signalLabel(stream, channel)
      if (labels.has(label) || label === layout.annotations)
        throw new ValidationError(`two signals would both be labelled "${label}"`, 'label')
      labels.add(label)
      const limits = physicalLimits(read.samples, channel, width)
      const physicalMin = Number(limits.min)
      const physicalMax = Number(limits.max)
      const digital = new Int32Array(recordCount * samplesPerRecord).fill(layout.digitalMin)
      const scale = (layout.digitalMax - layout.digitalMin) / (physicalMax - physicalMin)
      for (let i = 0; i < read.times.length; i++) {
        const value = Math.round(
          layout.digitalMin + (read.samples[i * width + channel] - physicalMin) * scale
        )
        digital[slots[i]] = Math.min(layout.digitalMax, Math.max(layout.digitalMin + 1, value))
      }
      plans.push({
        stream,
        channel,
        label,
        unit,
        samplesPerRecord,
        physicalMinText: limits.min,
        physicalMaxText: limits.max,
        digital,
        samples: read.times.length,
        maxShiftMs
      })
    }
  }

  const written: number[] = []
  for (let record = 0; record < recordCount; record++) if (hasData[record]) written.push(record)
  const gaps = new RecordingStore(study.db).gaps(sessionId)
  const discontinuous = gaps.length > 0 || written.length < recordCount

  const tals: Tal[] = []
  const onsetOf = (ms: number): number => (ms - startMs) / 1000
  const markers = new AnnotationStore(study.db).listMarkers(sessionId)
  for (const marker of markers)
    tals.push({ onsetS: onsetOf(marker.timeMs), durationS: null, text: marker.label })
  const annotations = new AnnotationStore(study.db).listAnnotations(sessionId)
  for (const annotation of annotations) {
    const words = [annotation.source, annotation.rater].filter((word) => word !== '')
    words.push(`arousal=${annotation.arousal ?? 'none'}`, `valence=${annotation.valence ?? 'none'}`)
    if (annotation.note) words.push(annotation.note)
    tals.push({
      onsetS: onsetOf(annotation.startMs),
      durationS: (annotation.endMs - annotation.startMs) / 1000,
      text: words.join(' ')
    })
  }
  for (const gap of gaps)
    tals.push({
      onsetS: onsetOf(gap.startMs),
      durationS: (gap.endMs - gap.startMs) / 1000,
      text: `gap ${gap.stream}: ${gap.cause}, ${gap.missing} samples missing`
    })
  let eventCount = 0
  for (const stream of events) {
    const read = data.get(stream.id)!
    const width = read.channelCount
    for (let i = 0; i < read.times.length; i++) {
      const values = stream.channels.map(
        (channel, c) =>
          `${width > 1 ? `${stream.name} ${channel}` : stream.name}=${float32Text(read.samples[i * width + c])}${stream.unit ? ` ${stream.unit}` : ''}`
      )
      tals.push({ onsetS: onsetOf(read.times[i]), durationS: null, text: values.join(' ') })
      eventCount++
    }
  }

  // Each annotation rides in the record holding its onset, or the last written one before it (EDF+D leaves some out).
  const talsOfRecord = new Map<number, string[]>(written.map((record) => [record, []]))
  tals.sort((a, b) => a.onsetS - b.onsetS)
  let index = 0
  for (const tal of tals) {
    const wanted = Math.floor(tal.onsetS / recordS)
    while (index + 1 < written.length && written[index + 1] <= wanted) index++
    const duration =
      tal.durationS !== null && tal.durationS > 0 ? `\u0015${formatDecimal(tal.durationS, 4)}` : ''
    talsOfRecord
      .get(written[index])!
      .push(`${onsetText(tal.onsetS)}${duration}\u0014${talText(tal.text)}\u0014\u0000`)
  }
  const annotationBytes = new Map<number, Buffer>()
  let longest = 0
  for (const record of written) {
    const keeping = `${onsetText(record * recordS, 8)}\u0014\u0014\u0000`
    const bytes = Buffer.from(keeping + talsOfRecord.get(record)!.join(''), 'utf8')
    annotationBytes.set(record, bytes)
    longest = Math.max(longest, bytes.length)
  }
  const annotationSamples = Math.ceil((longest + 1) / layout.bytes)

  const parts = localParts(startMs, session.timezone)
  const start = startFields(parts)
  const signalCount = plans.length + 1
  const headerBytes = 256 * (signalCount + 1)
  const fileType = `${layout.plus}${discontinuous ? 'D' : 'C'}`
  const column = (values: string[], width: number): string =>
    values.map((value) => fixed(value, width)).join('')
  const all = <T>(pick: (plan: SignalPlan) => T, annotation: T): T[] => [...plans.map(pick), annotation]
  const header =
    fixed(layout.version, 8) +
    fixed(`${subfield(session.participantCode)} X X X`, 80) +
    fixed(
      `Startdate ${start.startdate} ${subfield(`session-${session.id}`)} X EmoHeal_Workstation ${subfield(session.name)}`,
      80
    ) +
    start.date +
    start.time +
    fixed(String(headerBytes), 8) +
    fixed(fileType, 44) +
    fixed(String(written.length), 8) +
    fixed(duration.text, 8) +
    fixed(String(signalCount), 4) +
    column(
      all((plan) => plan.label, layout.annotations),
      16
    ) +
    column(
      all(
        (plan) =>
          `${plan.stream.name} ${plan.stream.channels[plan.channel]}, nominal ${plan.stream.rateHz} Hz`,
        ''
      ),
      80
    ) +
    column(
      all((plan) => plan.unit, ''),
      8
    ) +
    column(
      all((plan) => plan.physicalMinText, '-1'),
      8
    ) +
    column(
      all((plan) => plan.physicalMaxText, '1'),
      8
    ) +
    column(
      all(() => String(layout.digitalMin), String(layout.digitalMin)),
      8
    ) +
    column(
      all(() => String(layout.digitalMax), String(layout.digitalMax)),
      8
    ) +
    column(
      all(() => 'as recorded by the device', ''),
      80
    ) +
    column(
      all((plan) => String(plan.samplesPerRecord), String(annotationSamples)),
      8
    ) +
    column(
      all(() => '', ''),
      32
    )
  const headerBuffer = Buffer.from(header, 'latin1')
  if (options.format === 'bdf') headerBuffer[0] = 0xff
  if (headerBuffer.length !== headerBytes)
    throw new Error(`EDF header is ${headerBuffer.length} bytes, not ${headerBytes}`)

  const recordBytes =
    (plans.reduce((sum, plan) => sum + plan.samplesPerRecord, 0) + annotationSamples) * layout.bytes
  const file = Buffer.alloc(headerBytes + written.length * recordBytes)
  headerBuffer.copy(file, 0)
  let offset = headerBytes
  for (const record of written) {
    for (const plan of plans) {
      const from = record * plan.samplesPerRecord
      for (let k = 0; k < plan.samplesPerRecord; k++) {
        file.writeIntLE(plan.digital[from + k], offset, layout.bytes)
        offset += layout.bytes
      }
    }
    annotationBytes.get(record)!.copy(file, offset)
    offset += annotationSamples * layout.bytes
  }
  await writeFileAtomically(out, file)

  return {
    out,
    sessionId,
    format: options.format,
    fileType,
    startMs,
    recordDurationS: recordS,
    records: written.length,
    omittedRecords: recordCount - written.length,
    signals: plans.map((plan) => ({
      label: plan.label,
      stream: plan.stream.name,
      unit: plan.unit,
      rateHz: plan.stream.rateHz,
      samplesPerRecord: plan.samplesPerRecord,
      physicalMin: Number(plan.physicalMinText),
      physicalMax: Number(plan.physicalMaxText),
      digitalMin: layout.digitalMin,
      digitalMax: layout.digitalMax,
      samples: plan.samples,
      maxShiftMs: plan.maxShiftMs
    })),
    annotations: {
      markers: markers.length,
      annotations: annotations.length,
      gaps: gaps.length,
      events: eventCount
    }
  }
}
