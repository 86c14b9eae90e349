import { E4_STREAMS } from '../datasets/e4-streams'
import { debateEvents, LATENT_HZ, latentTrajectory, type LatentTrajectory } from '../datasets/synth/latent'
import {
  drawBaseline,
  RATES,
  simulatePhysiology,
  type Baseline,
  type Physiology
} from '../datasets/synth/physiology'
import { Random } from '../datasets/synth/random'
import { couplingFor } from '../datasets/synth/synthesize'
import { systemClock, type LiveClock } from './clock'
import type { LiveSource, SampleChunk, SourceStream } from './live-source'

export interface SimulatorOptions {
  seed?: number
  clock?: LiveClock
  /** How often samples are handed over; default 50 ms, about how a wristband's packets arrive. */
  chunkMs?: number
  /** 0 (arousal shows clearly) to 1 (buried in noise), as `emoheal synth --difficulty`; default 0.5. */
  difficulty?: number
}

/** The simulator's signals are made in blocks of this length, each from its own seeded stream. */
const BLOCK_S = 120
/**
 * Each block is simulated from this long before it starts and the lead is dropped: the E4's heart rate needs
 * 10 s of beats, and the slow signals (EDA, temperature) settle onto the arousal they follow.
 */
const LEAD_S = 30
/** One latent arousal trajectory covers this many blocks (an hour); the next hour draws a new one. */
const BLOCKS_PER_HOUR = 3600 / BLOCK_S
/** After a stall longer than this (a suspended laptop) the stream jumps to now instead of replaying it. */
const MAX_BACKLOG_MS = 10_000

const STREAM_NAMES = ['bvp', 'eda', 'temp', 'acc', 'hr'] as const
type StreamName = (typeof STREAM_NAMES)[number]

/** The simulated streams, as the E4 importer stores them (HR included: the paper model reads it). */
export const SIMULATOR_STREAMS: SourceStream[] = STREAM_NAMES.map((name) => {
  const kind = E4_STREAMS.find((candidate) => candidate.name === name)!
  return { name, unit: kind.unit, rateHz: RATES[name], channels: [...kind.channels] }
})

function blockValues(physiology: Physiology, name: StreamName): Float32Array {
  const rate = RATES[name]
  const channels = name === 'acc' ? 3 : 1
  // physiology.hr starts at 10 s (E4: the mean rate of the last 10 s); every other series at 0.
  const skip = name === 'hr' ? LEAD_S - 10 : LEAD_S * rate
  const source = physiology[name]
  return source.slice(skip * channels, (skip + BLOCK_S * rate) * channels)
}

/**
 * A virtual Empatica E4 on the wrist of someone in a lively conversation: BVP 64 Hz, EDA and skin temperature
 * 4 Hz, acceleration 32 Hz x 3 and the E4's 1 Hz heart rate, streamed in real time from the synthetic
 * physiology generators (`emoheal synth`), arousal wandering and jumping at events about every 45 s. Blocks of
 * two minutes join with a small step (a new posture, a beat phase) where one ends.
 */
export class SimulatedWristband implements LiveSource {
  readonly kind = 'simulator'
  readonly streams = SIMULATOR_STREAMS
  private readonly random: Random
  private readonly clock: LiveClock
  private readonly baseline: Baseline
  private readonly blocks = new Map<number, Record<StreamName, Float32Array>>()
  private readonly latents = new Map<number, LatentTrajectory>()
  private readonly next: Record<StreamName, number> = { bvp: 0, eda: 0, temp: 0, acc: 0, hr: 0 }
  private startMs = 0
  private cancel: (() => void) | null = null

  constructor(private readonly options: SimulatorOptions = {}) {
    this.random = new Random(options.seed ?? Math.floor(Math.random() * 2 ** 31))
    this.clock = options.clock ?? systemClock
    this.baseline = drawBaseline(this.random.fork('baseline'))
  }

  get running(): boolean {
    return this.cancel !== null
  }

  /** Epoch ms of the first sample of the current start: every stream's sample k is k / rate s after it. */
  get startedMs(): number {
    return this.startMs
  }

  /** Streams from now on, calling `sink` every chunkMs with what is due. */
  start(sink: (chunks: SampleChunk[]) => void): void {
    if (this.cancel) return
    this.startMs = Math.round(this.clock.now())
    for (const name of STREAM_NAMES) this.next[name] = 0
    this.cancel = this.clock.every(this.options.chunkMs ?? 50, () => {
      const chunks = this.due(this.clock.now())
      if (chunks.length) sink(chunks)
    })
  }

  stop(): void {
    this.cancel?.()
    this.cancel = null
  }

  /** The samples with a time up to nowMs not handed out yet. */
  due(nowMs: number): SampleChunk[] {
    const chunks: SampleChunk[] = []
    for (const name of STREAM_NAMES) {
      const rate = RATES[name]
      const channels = name === 'acc' ? 3 : 1
      const end = Math.floor(((nowMs - this.startMs) * rate) / 1000) + 1
      // After a stall the last second is sent and the rest left out: the stream shows a gap, as a device's would.
      if (end - this.next[name] > (MAX_BACKLOG_MS * rate) / 1000) this.next[name] = end - Math.ceil(rate)
      const count = end - this.next[name]
      if (count <= 0) continue
      const times = new Float64Array(count)
      const values = new Float32Array(count * channels)
      for (let i = 0; i < count; i++) {
        const index = this.next[name] + i
        times[i] = this.startMs + (index * 1000) / rate
        const perBlock = BLOCK_S * rate
        const block = this.block(Math.floor(index / perBlock))[name]
        const at = (index % perBlock) * channels
        for (let c = 0; c < channels; c++) values[i * channels + c] = block[at + c]
      }
      this.next[name] = end
      chunks.push({ stream: name, times, values })
    }
    // Blocks behind every stream are not read again.
    const oldest = Math.min(
      ...STREAM_NAMES.map((name) => Math.floor(this.next[name] / (BLOCK_S * RATES[name])))
    )
    for (const index of this.blocks.keys()) if (index < oldest) this.blocks.delete(index)
    return chunks
  }

  private block(index: number): Record<StreamName, Float32Array> {
    let block = this.blocks.get(index)
    if (!block) {
      const durationS = LEAD_S + BLOCK_S
      const hour = Math.floor(index / BLOCKS_PER_HOUR)
      const latent = this.latent(hour)
      const from = (index % BLOCKS_PER_HOUR) * BLOCK_S * LATENT_HZ
      const slice: LatentTrajectory = {
        arousal: latent.arousal.subarray(from),
        valence: latent.valence.subarray(from)
      }
      const physiology = simulatePhysiology(
        this.random.fork(`block ${index}`),
        slice,
        this.baseline,
        couplingFor(this.options.difficulty ?? 0.5),
        durationS,
        [0, durationS]
      )
      block = Object.fromEntries(STREAM_NAMES.map((name) => [name, blockValues(physiology, name)])) as Record<
        StreamName,
        Float32Array
      >
      this.blocks.set(index, block)
    }
    return block
  }

  /** The hour's arousal and valence, from LEAD_S before its first block to the end of its last. */
  private latent(hour: number): LatentTrajectory {
    let latent = this.latents.get(hour)
    if (!latent) {
      const random = this.random.fork(`hour ${hour}`)
      const durationS = LEAD_S + BLOCKS_PER_HOUR * BLOCK_S
      latent = latentTrajectory(random.fork('latent'), {
        durationS,
        debateStartS: 0,
        debateEndS: durationS,
        restingArousal: random.normal(-0.2, 0.2),
        restingValence: random.normal(0.1, 0.3),
        events: debateEvents(random.fork('events'), 0, durationS)
      })
      this.latents.clear()
      this.latents.set(hour, latent)
    }
    return latent
  }
}
