import { listSerialPorts } from '../../devices/serial-transport'
import { parseOrRefuse, ValidationError } from '../../errors'
import { deviceSettingsSchema, type RecordStatusView, type SerialPortView } from '../../ipc/contract/record'
import {
  integerOption,
  numberOption,
  requireString,
  stringOption,
  type CliCommand,
  type CliInput
} from '../command'
import { studyPathOf, withServices } from '../study-option'

export const devicesCommand: CliCommand = {
  path: ['devices'],
  summary: 'List the serial ports this machine has, with vendor and product ids where the OS gives them',
  usage: 'devices [--json]',
  options: {},
  run: () => listSerialPorts(),
  format: (result) => {
    const ports = result as SerialPortView[]
    if (ports.length === 0)
      return 'No serial ports listed. Pseudo-terminals and unbound /dev/rfcomm* are not listed: give their path to --device.'
    return ports
      .map((port) => {
        const ids = port.vendorId ? ` [${port.vendorId}:${port.productId ?? '?'}]` : ''
        return `${port.path}${port.manufacturer ? `  ${port.manufacturer}` : ''}${ids}`
      })
      .join('\n')
  }
}

/** The device settings the flags describe, checked by the same schema as the Record page's. */
function settingsFrom(input: CliInput): unknown {
  const values = input.values
  const protocol = requireString(values, 'protocol')
  const path =
    protocol === 'simulator'
      ? (stringOption(values, 'device') ?? 'simulator')
      : requireString(values, 'device')
  const settings: Record<string, unknown> = { protocol, path }
  const baud = integerOption(values, 'baud')
  if (baud !== undefined) settings.baudRate = baud
  const rate = numberOption(values, 'rate')
  if (rate !== undefined) settings.rateHz = rate
  const channels = stringOption(values, 'channels')
  if (channels !== undefined)
    settings.channels = channels
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean)
  const sensors = stringOption(values, 'sensors')
  if (sensors !== undefined) {
    const map: Record<string, string> = {}
    for (const pair of sensors.split(',')) {
      const [channel, sensor] = pair.split('=').map((part) => part.trim())
      if (!channel || !sensor)
        throw new ValidationError(`--sensors: "${pair}" is not CHANNEL=SENSOR (e.g. A1=eda)`, 'sensors')
      map[channel] = sensor
    }
    settings.sensors = map
  }
  const stream = stringOption(values, 'stream')
  if (stream !== undefined) settings.stream = stream
  const unit = stringOption(values, 'unit')
  if (unit !== undefined) settings.unit = unit
  const range = integerOption(values, 'gsr-range')
  if (range !== undefined) settings.gsrRange = range
  const seed = integerOption(values, 'seed')
  if (seed !== undefined) settings.seed = seed
  return settings
}

const FLAG_OF: Record<string, string> = {
  rateHz: 'rate',
  baudRate: 'baud',
  path: 'device',
  gsrRange: 'gsr-range'
}

function parseSettings(input: CliInput) {
  // A setting's issue names its flag: --sensors for sensors.A1, --rate for rateHz.
  const flagOf = (path: string) => {
    const key = path.split('.')[0]
    return FLAG_OF[key] ?? key
  }
  return parseOrRefuse(deviceSettingsSchema, settingsFrom(input), {
    field: flagOf,
    shown: (flag) => `--${flag}`,
    whole: 'protocol'
  })
}

export interface RecordSummary {
  sessionId: number
  participant: string
  durationMs: number
  stoppedBecause: string | null
  markers: number
  predictionsStored: number
  streams: {
    name: string
    unit: string
    nominalRateHz: number
    measuredRateHz: number | null
    driftPpm: number | null
    stored: number
    lost: number
    gaps: number
  }[]
  devices: {
    path: string
    protocol: string
    errors: Record<string, number>
    reconnects: number
    state: string
  }[]
}

function summaryOf(status: RecordStatusView, sessionId: number): RecordSummary {
  return {
    sessionId,
    participant: status.participantCode ?? '',
    durationMs: Math.round(status.elapsedMs),
    stoppedBecause: status.stoppedBecause,
    markers: status.markers,
    predictionsStored: status.predictionsStored,
    streams: status.devices.flatMap((device) =>
      device.streams.map((stream) => ({
        name: stream.name,
        unit: stream.unit,
        nominalRateHz: stream.nominalRateHz,
        measuredRateHz: stream.measuredRateHz,
        driftPpm: stream.driftPpm,
        stored: stream.stored,
        lost: stream.lost,
        gaps: stream.gaps
      }))
    ),
    devices: status.devices.map((device) => ({
      path: device.path,
      protocol: device.protocol,
      errors: device.errors,
      reconnects: device.reconnects,
      state: device.state
    }))
  }
}

export const recordCommand: CliCommand = {
  path: ['record'],
  summary: 'Record a session from a device into the study until Ctrl+C or --duration',
  usage:
    'record --study FILE --participant CODE --protocol bitalino|shimmer3|lines|simulator --device PATH [--rate HZ] [--channels A1,A2,...] [--sensors A1=eda,A2=ecg,...] [--baud N] [--gsr-range 0-4] [--stream NAME --unit UNIT] [--duration S] [--name NAME] [--model ID|none] [--json]',
  options: {
    participant: { type: 'string' },
    protocol: { type: 'string' },
    device: { type: 'string' },
    rate: { type: 'string' },
    channels: { type: 'string' },
    sensors: { type: 'string' },
    baud: { type: 'string' },
    'gsr-range': { type: 'string' },
    stream: { type: 'string' },
    unit: { type: 'string' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    name: { type: 'string' },
    model: { type: 'string' }
  },
  async run(input) {
    const settings = parseSettings(input)
    const code = requireString(input.values, 'participant')
    const duration = numberOption(input.values, 'duration')
    if (duration !== undefined && !(duration > 0))
      throw new ValidationError('--duration must be above 0 seconds', 'duration')
    const modelFlag = stringOption(input.values, 'model')
    const modelId = modelFlag === undefined ? undefined : modelFlag === 'none' ? null : Number(modelFlag)
    if (typeof modelId === 'number' && !(Number.isInteger(modelId) && modelId > 0))
      throw new ValidationError(`--model must be a model id or "none", got "${modelFlag}"`, 'model')
    // The same services the app builds: the CLI records exactly as the Record page does.
    return withServices(input, async ({ context, services: { recording } }) => {
      const participant = context.study().findParticipantByCode(code)
      if (!participant) {
        const known = context
          .study()
          .listParticipants()
          .map((candidate) => candidate.code)
        throw new ValidationError(
          `--participant: no participant "${code}" in ${studyPathOf(input)}${known.length ? ` (there are ${known.slice(0, 10).join(', ')})` : ''}; add one with: emoheal participant add --code ${code}`,
          'participant'
        )
      }
      let ended: (() => void) | null = null
      const done = new Promise<void>((resolve) => (ended = resolve))
      context.onEvent((name, payload) => {
        if (name === 'record.state' && !(payload as RecordStatusView).recording) ended?.()
      })
      const started = await recording.start({
        participantId: participant.id,
        sessionName: stringOption(input.values, 'name'),
        devices: [settings],
        modelId
      })
      const sessionId = started.sessionId!
      input.progress(
        `recording session ${sessionId} for ${code} from ${settings.path} (${settings.protocol}); Ctrl+C stops${duration ? `, or after ${duration} s` : ''}`
      )
      const stop = (): void => ended?.()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const timer = duration ? setTimeout(stop, duration * 1000) : null
      const progress = setInterval(() => {
        const status = recording.status()
        const streams = status.devices
          .flatMap((device) => device.streams.map((stream) => `${stream.name} ${stream.stored}`))
          .join(', ')
        const states = status.devices
          .map((device) => device.state + (device.message ? ` (${device.message})` : ''))
          .join(', ')
        input.progress(`${(status.elapsedMs / 1000).toFixed(0)} s: ${states}; stored ${streams}`)
      }, 5000)
      await done
      clearInterval(progress)
      if (timer) clearTimeout(timer)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      const final = await recording.stop()
      return summaryOf(final, sessionId)
    })
  },
  format: (result) => {
    const summary = result as RecordSummary
    const lines = [
      `Recorded session ${summary.sessionId} for ${summary.participant}: ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.markers} markers${summary.predictionsStored ? `, ${summary.predictionsStored} predictions` : ''}`
    ]
    if (summary.stoppedBecause) lines.push(`  stopped: ${summary.stoppedBecause}`)
    for (const stream of summary.streams)
      lines.push(
        `  ${stream.name} (${stream.unit || 'no unit'}): ${stream.stored} samples at ${stream.measuredRateHz?.toFixed(2) ?? '?'} of ${stream.nominalRateHz} Hz, ${stream.lost} lost in ${stream.gaps} gaps${stream.driftPpm !== null ? `, clock drift ${stream.driftPpm.toFixed(0)} ppm` : ''}`
      )
    for (const device of summary.devices) {
      const errors = Object.entries(device.errors).map(([cause, count]) => `${cause} ${count}`)
      lines.push(
        `  ${device.path}: ${device.reconnects} reconnects${errors.length ? `; errors: ${errors.join(', ')}` : ''}`
      )
    }
    return lines.join('\n')
  }
}
