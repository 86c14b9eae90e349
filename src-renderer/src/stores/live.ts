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

/**
 * Live inference as the Record page shows it: the run's status, the last 20 s of every stream and the
 * results so far. Samples arrive ~20 times a second, so they are kept outside Vue's reactivity and a counter
 * says when they changed.
 */
export const useLiveStore = defineStore('live', () => {
  const status = ref<LiveStatusView | null>(null)
  const ticks = shallowRef<LiveTickView[]>([])
  const samplesVersion = ref(0)
  let buffers = new Map<string, LiveBuffer>()
  let latestMs: number | null = null

  const running = computed(() => status.value?.running ?? false)
  const lastTick = computed(() => ticks.value.at(-1) ?? null)
  const predictions = computed(
    () => ticks.value.filter((tick) => tick.kind === 'prediction') as LivePrediction[]
  )
  const latestPrediction = computed(() => predictions.value.at(-1) ?? null)

  function reset(): void {
    ticks.value = []
    buffers = new Map()
    latestMs = null
    samplesVersion.value++
  }

  function adopt(next: LiveStatusView): void {
    if (next.running && next.liveId !== status.value?.liveId) reset()
    status.value = next
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

  function addSamples(event: LiveSamplesEvent): void {
    const current = status.value
    if (!current?.running || event.liveId !== current.liveId) return
    for (const stream of event.streams) {
      if (stream.times.length === 0) continue
      const width = current.streams.find((info) => info.name === stream.name)?.channels.length ?? 1
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
    if (tick.liveId !== status.value?.liveId) return
    const next = [...ticks.value, tick]
    ticks.value = next.length > MAX_TICKS ? next.slice(next.length - MAX_TICKS) : next
    if (status.value)
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
    running,
    lastTick,
    predictions,
    latestPrediction,
    load,
    start,
    stop,
    buffer,
    span
  }
})
