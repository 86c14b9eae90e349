import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type {
  BitalinoChannel,
  BitalinoSensor,
  DeviceProtocol,
  DeviceSettingsInput,
  RecordDeviceView,
  RecordMarkerView,
  RecordStatusView,
  SerialPortView
} from '../../../src-main/ipc/contract'
import { BITALINO_CHANNELS, DEFAULT_MARKER_PRESETS } from '../../../src-main/ipc/contract/record'
import { call, onEvent } from '../api/client'
import { useLiveStore } from './live'

/** How many recent statuses the host clock's offset is judged from (a few seconds' worth). */
const OFFSET_SAMPLES = 16

export const PROTOCOL_NAMES: Record<DeviceProtocol, string> = {
  simulator: 'Simulated wristband',
  bitalino: 'BITalino',
  shimmer3: 'Shimmer3 GSR+',
  lines: 'Line protocol'
}

/**
 * One device row of the picker as it is being filled in: the settings of every protocol are kept, so that
 * switching the protocol back and forth loses nothing typed. Text fields stay text until the start.
 */
export interface DeviceDraft {
  key: number
  protocol: DeviceProtocol
  path: string
  bitalino: {
    rateHz: 1 | 10 | 100 | 1000
    channels: Record<BitalinoChannel, boolean>
    sensors: Record<BitalinoChannel, BitalinoSensor>
  }
  shimmer3: { rateHz: number; gsrRange: number; gsr: boolean; ppg: boolean; accel: boolean }
  lines: { baudRate: number; rateHz: string; channels: string; stream: string; unit: string }
}

let nextDraftKey = 1

export function newDeviceDraft(protocol: DeviceProtocol = 'simulator'): DeviceDraft {
  const perChannel = <T>(value: T) =>
    Object.fromEntries(BITALINO_CHANNELS.map((channel) => [channel, value])) as Record<BitalinoChannel, T>
  return {
    key: nextDraftKey++,
    protocol,
    path: '',
    bitalino: { rateHz: 1000, channels: perChannel(true), sensors: perChannel<BitalinoSensor>('raw') },
    shimmer3: { rateHz: 128, gsrRange: 4, gsr: true, ppg: true, accel: true },
    lines: { baudRate: 115200, rateHz: '', channels: '', stream: 'lines', unit: '' }
  }
}

/** What `record.start` is sent for a draft; main validates it (a missing path, no channel). */
export function draftSettings(draft: DeviceDraft): DeviceSettingsInput {
  const path = draft.path.trim()
  switch (draft.protocol) {
    case 'simulator':
      return { protocol: 'simulator', path: 'simulator' }
    case 'bitalino': {
      const channels = BITALINO_CHANNELS.filter((channel) => draft.bitalino.channels[channel])
      const sensors = Object.fromEntries(
        channels.map((channel) => [channel, draft.bitalino.sensors[channel]])
      )
      return { protocol: 'bitalino', path, rateHz: draft.bitalino.rateHz, channels, sensors }
    }
    case 'shimmer3':
      return { protocol: 'shimmer3', path, ...draft.shimmer3 }
    case 'lines': {
      const { baudRate, rateHz, channels, stream, unit } = draft.lines
      const names = channels
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name.length > 0)
      return {
        protocol: 'lines',
        path,
        baudRate,
        rateHz: rateHz.trim() === '' ? undefined : Number(rateHz),
        channels: names.length > 0 ? names : undefined,
        stream,
        unit
      }
    }
  }
}

/** The model choice of a start: the active model (sent as absent), none (null), or a registry model. */
export type ModelChoice = 'active' | 'none' | number

/**
 * Recording a session from the devices: the picker's drafts, the serial ports, the recorder's status from
 * `record.status` / `record.state`, and the markers put during this recording. Samples and predictions
 * arrive as `live.*` events of the recording's live run, which the live store is told to follow.
 */
export const useRecordingStore = defineStore('recording', () => {
  const status = ref<RecordStatusView | null>(null)
  const ports = shallowRef<SerialPortView[]>([])
  const drafts = ref<DeviceDraft[]>([newDeviceDraft()])
  /** The rest of the next start's form; kept here so that leaving the page keeps what was chosen. */
  const participantId = ref<number | null>(null)
  const sessionName = ref('')
  const model = ref<ModelChoice>('active')
  const markers = ref<RecordMarkerView[]>([])
  /** The session of the recording that ran last (while it runs, and after it stopped). */
  const lastSessionId = ref<number | null>(null)
  /** The devices as the recording last showed them, so that its counters and plots stay after it stopped. */
  const devices = shallowRef<RecordDeviceView[]>([])
  /** Host time minus this renderer's time, from the last status (they may be two machines in serve mode). */
  let hostOffsetMs: number | null = null
  const offsetSamples: number[] = []
  /** When (performance.now()) the last status arrived, to count the elapsed time on between statuses. */
  const statusAt = ref(0)

  const recording = computed(() => status.value?.recording ?? false)
  const presets = computed(() =>
    status.value?.markerPresets.length ? status.value.markerPresets : DEFAULT_MARKER_PRESETS
  )

  function adopt(next: RecordStatusView): void {
    const previous = status.value
    status.value = next
    statusAt.value = performance.now()
    if (next.recording && next.startedMs !== null) {
      // Each status gives the offset less its delivery delay; the largest of the recent ones is the closest.
      if (next.sessionId !== previous?.sessionId) offsetSamples.length = 0
      offsetSamples.push(next.startedMs + next.elapsedMs - Date.now())
      if (offsetSamples.length > OFFSET_SAMPLES) offsetSamples.shift()
      hostOffsetMs = Math.max(...offsetSamples)
    }
    if (next.sessionId !== null) lastSessionId.value = next.sessionId
    if (next.devices.length > 0) devices.value = next.devices
    if (next.recording && next.sessionId !== previous?.sessionId) markers.value = []
    if (next.liveId !== null) {
      const streams = next.devices.flatMap((device) =>
        device.streams.map((stream) => ({ name: stream.name, channels: stream.channels }))
      )
      useLiveStore().follow(next.liveId, streams)
    }
  }

  async function load(): Promise<void> {
    adopt(await call('record.status', {}))
  }

  async function listPorts(): Promise<void> {
    ports.value = await call('devices.list', {})
  }

  async function start(): Promise<RecordStatusView> {
    if (participantId.value === null) throw new Error('Participant: choose who is recorded')
    const choice = model.value
    markers.value = []
    const started = await call('record.start', {
      participantId: participantId.value,
      sessionName: sessionName.value.trim() || undefined,
      devices: drafts.value.map(draftSettings),
      modelId: choice === 'active' ? undefined : choice === 'none' ? null : choice
    })
    adopt(started)
    return started
  }

  async function stop(): Promise<RecordStatusView> {
    const stopped = await call('record.stop', {})
    adopt(stopped)
    return stopped
  }

  /** This renderer's clock read as the host's, or null before a recording's status said what the host's is. */
  function hostNow(): number | null {
    return hostOffsetMs === null ? null : Date.now() + hostOffsetMs
  }

  /**
   * An input event's time (its timeStamp, on this page's performance clock) read as the host's: when the key
   * went down, not when a busy page got round to handling it. Null before the host's clock is known.
   */
  function hostTimeOfEvent(timeStamp: number): number | null {
    return hostOffsetMs === null ? null : performance.timeOrigin + timeStamp + hostOffsetMs
  }

  async function mark(label: string, timeMs?: number): Promise<RecordMarkerView> {
    const marker = await call('record.marker', { label, timeMs })
    markers.value = [...markers.value, marker].sort((a, b) => a.timeMs - b.timeMs)
    return marker
  }

  function draft(key: number): DeviceDraft {
    const found = drafts.value.find((candidate) => candidate.key === key)
    if (!found) throw new Error(`no device row ${key}`)
    return found
  }

  function addDevice(): void {
    drafts.value.push(newDeviceDraft())
  }

  function removeDevice(key: number): void {
    if (drafts.value.length > 1) drafts.value = drafts.value.filter((draft) => draft.key !== key)
  }

  onEvent('record.state', adopt)
  // Another study's sessions and participants are not these.
  onEvent('study.changed', () => {
    lastSessionId.value = null
    participantId.value = null
    markers.value = []
    devices.value = []
  })

  return {
    status,
    ports,
    drafts,
    participantId,
    sessionName,
    model,
    markers,
    hostTimeOfEvent,
    lastSessionId,
    devices,
    statusAt,
    recording,
    presets,
    load,
    listPorts,
    start,
    stop,
    hostNow,
    mark,
    draft,
    addDevice,
    removeDevice
  }
})
