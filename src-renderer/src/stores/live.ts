import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { LiveSamplesEvent, LiveStatusView, LiveTickView } from '../../../src-main/ipc/contract'
import { call, onEvent } from '../api/client'

/** How much of each stream the Record page keeps and plots. */
export const LIVE_SPAN_MS = 20_000
/** Results kept for the probability plot: ten minutes of one a second. */
const MAX_TICKS = 600

/** One stream's recent samples, one array per channel. */
export interface LiveBuffer {
  times: number[]
  channels: number[][]
}

export type LivePrediction = Extract<LiveTickView, { kind: 'prediction' }>

/** A stream whose samples the store accepts: its channel names give the width of interleaved values. */
export interface LiveStreamShape {
  name: string
  channels: string[]
}

/**
 * Live samples and results as the Record page shows them: the last 20 s of every stream and the results so
 * far, of either a live-only run (`live.start`, its status here) or a recording's live run, which the recording
 * store hands over with `follow`. Samples arrive ~20 times a second, so they are kept outside Vue's reactivity
 * and a counter says when they changed.
 */
export const useLiveStore = defineStore('live', () => {
  const status = ref<LiveStatusView | null>(null)
  const ticks = shallowRef<LiveTickView[]>([])
  const samplesVersion = ref(0)
  /** A recording's live run: its id and streams, kept after it stops so that its last plots stay. */
  const followed = shallowRef<{ liveId: number; streams: LiveStreamShape[] } | null>(null)
  /** Results counted since the run began (ticks keeps only the last ten minutes). */
  const counts = ref({ predictions: 0, skips: 0 })
  let buffers = new Map<string, LiveBuffer>()
  let latestMs: number | null = null

  const running = computed(() => status.value?.running ?? false)
  /** The run whose events are taken: the followed recording, else the running live-only run. */
  const liveId = computed(
    () => followed.value?.liveId ?? (status.value?.running ? status.value.liveId : null)
  )
  const lastTick = computed(() => ticks.value.at(-1) ?? null)
  const predictions = computed(
    () => ticks.value.filter((tick) => tick.kind === 'prediction') as LivePrediction[]
  )
  const latestPrediction = computed(() => predictions.value.at(-1) ?? null)

  function reset(): void {
    ticks.value = []
    counts.value = { predictions: 0, skips: 0 }
    buffers = new Map()
    latestMs = null
    samplesVersion.value++
  }

  function adopt(next: LiveStatusView): void {
    // A recording's own live run may announce itself here too: its buffers are already being filled.
    const followedRun = next.liveId !== null && next.liveId === followed.value?.liveId
    if (next.running && !followedRun && next.liveId !== status.value?.liveId) {
      followed.value = null
      reset()
    }
    status.value = next
  }

  /**
   * Takes the samples and results of a recording's live run from now on. Called again with each of the
   * recording's statuses; only another run empties the buffers.
   */
  function follow(id: number, streams: LiveStreamShape[]): void {
    // The run may have announced itself by `live.state` first: its samples so far are kept.
    if (liveId.value !== id) reset()
    followed.value = { liveId: id, streams }
  }

  async function load(): Promise<void> {
    adopt(await call('live.status', {}))
  }

  async function start(modelId: number | null): Promise<LiveStatusView> {
    const started = await call('live.start', { source: 'simulator', modelId: modelId ?? undefined })
    adopt(started)
    return started
  }

  async function stop(): Promise<void> {
    adopt(await call('live.stop', {}))
  }

  function buffer(name: string): LiveBuffer | undefined {
    return buffers.get(name)
  }

  /** The time span the plots show: the last 20 s up to the newest sample. */
  function span(): { fromMs: number; toMs: number } | null {
    return latestMs === null ? null : { fromMs: latestMs - LIVE_SPAN_MS, toMs: latestMs }
  }

  function widthOf(name: string, times: number, values: number): number {
    const shapes = followed.value?.streams ?? status.value?.streams ?? []
    const known = shapes.find((shape) => shape.name === name)?.channels.length
    return known ?? Math.max(1, Math.round(values / times))
  }

  function addSamples(event: LiveSamplesEvent): void {
    if (liveId.value === null || event.liveId !== liveId.value) return
    for (const stream of event.streams) {
      if (stream.times.length === 0) continue
      const width = widthOf(stream.name, stream.times.length, stream.values.length)
      let target = buffers.get(stream.name)
      if (!target) {
        target = { times: [], channels: Array.from({ length: width }, () => []) }
        buffers.set(stream.name, target)
      }
      stream.times.forEach((time, i) => {
        target.times.push(time)
        for (let c = 0; c < width; c++) target.channels[c].push(stream.values[i * width + c])
      })
      latestMs = Math.max(latestMs ?? -Infinity, stream.times[stream.times.length - 1])
    }
    if (latestMs !== null) {
      const cutoff = latestMs - LIVE_SPAN_MS
      for (const target of buffers.values()) {
        let drop = 0
        while (drop < target.times.length && target.times[drop] < cutoff) drop++
        if (drop === 0) continue
        target.times.splice(0, drop)
        for (const channel of target.channels) channel.splice(0, drop)
      }
    }
    samplesVersion.value++
  }

  function addTick(tick: LiveTickView): void {
    const ours =
      tick.liveId === followed.value?.liveId || (!followed.value && tick.liveId === status.value?.liveId)
    if (!ours) return
    const next = [...ticks.value, tick]
    ticks.value = next.length > MAX_TICKS ? next.slice(next.length - MAX_TICKS) : next
    counts.value = {
      predictions: counts.value.predictions + (tick.kind === 'prediction' ? 1 : 0),
      skips: counts.value.skips + (tick.kind === 'skip' ? 1 : 0)
    }
    if (status.value && tick.liveId === status.value.liveId)
      status.value = {
        ...status.value,
        last: tick,
        predictions: status.value.predictions + (tick.kind === 'prediction' ? 1 : 0),
        skips: status.value.skips + (tick.kind === 'skip' ? 1 : 0)
      }
  }

  onEvent('live.state', adopt)
  onEvent('live.samples', addSamples)
  onEvent('live.tick', addTick)

  return {
    status,
    ticks,
    samplesVersion,
    followed,
    counts,
    running,
    liveId,
    lastTick,
    predictions,
    latestPrediction,
    load,
    start,
    stop,
    follow,
    buffer,
    span
  }
})
