// The processes of `node bench/ingest.mjs`, bundled by it: the emulated device on one end of a pty pair, the
// workstation's recorder on the other (the process whose CPU is measured), and the peer: a bare serialport
// reader of the same bytes that decodes and stores nothing, the floor any reader pays. Each prints one JSON line.
import { SerialPort } from 'serialport'
import { AppContext } from '../src-main/app-context'
import { LiveService } from '../src-main/engine/live/live-service'
import type { DeviceSettings } from '../src-main/ipc/contract/record'
import { RecordingService } from '../src-main/recording/recording-service'
import { BitalinoEmulator } from '../test/support/bitalino-emulator'
import { LinesEmulator } from '../test/support/lines-emulator'
import { Shimmer3Emulator } from '../test/support/shimmer3-emulator'

export type Scenario = 'bitalino' | 'shimmer3' | 'lines'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function settingsOf(scenario: Scenario, path: string): DeviceSettings {
  switch (scenario) {
    case 'bitalino':
      return {
        protocol: 'bitalino',
        path,
        baudRate: 115200,
        rateHz: 1000,
        channels: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'],
        sensors: { A1: 'eda', A2: 'ecg', A3: 'acc', A4: 'acc', A5: 'acc', A6: 'ppg' }
      }
    case 'shimmer3':
      return { protocol: 'shimmer3', path, baudRate: 115200, rateHz: 512, gsrRange: 4, gsr: true, ppg: true, accel: true }
    case 'lines':
      return { protocol: 'lines', path, baudRate: 115200, rateHz: 1000, stream: 'lines', unit: '' }
  }
}

/** The device: answers the recorder and streams until killed; prints how many samples it sent. */
export async function runDevice(scenario: Scenario, path: string): Promise<void> {
  const emulator =
    scenario === 'bitalino'
      ? new BitalinoEmulator()
      : scenario === 'shimmer3'
        ? new Shimmer3Emulator()
        : new LinesEmulator({ rateHz: 1000, channels: ['n', 'a', 'b', 'c'] })
  await emulator.attach(path)
  if (emulator instanceof LinesEmulator) emulator.startStreaming()
  const report = (): void => {
    const sent =
      emulator instanceof BitalinoEmulator
        ? emulator.framesSent
        : emulator instanceof Shimmer3Emulator
          ? emulator.index
          : emulator.sent
    process.stdout.write(`${JSON.stringify({ sent })}\n`)
    process.exit(0)
  }
  process.on('SIGTERM', report)
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** The recorder: records `seconds` into a fresh study and reports what it stored and what it cost. */
export async function runRecorder(scenario: Scenario, path: string, seconds: number, study: string): Promise<void> {
  const context = new AppContext({ defaultStudyPath: study, transport: 'cli', version: 'bench' })
  context.openStudy(study, true, 'Ingest benchmark')
  const participantId = context.study().createParticipant({ code: 'BENCH', notes: '' }).id
  let renderEvents = 0
  context.onEvent((name) => {
    if (name === 'live.samples') renderEvents++
  })
  const live = new LiveService({ emit: (name, payload) => context.emit(name, payload) })
  const service = new RecordingService({ context, live })
  await service.start({ participantId, devices: [settingsOf(scenario, path)], modelId: null })
  // Measured after the handshake: the steady state is what a long session costs.
  await sleep(1000)
  const cpuBefore = process.cpuUsage()
  const wallBefore = performance.now()
  await sleep(seconds * 1000)
  const cpu = process.cpuUsage(cpuBefore)
  const wallMs = performance.now() - wallBefore
  const recorder = service.recorder!
  const commit = [...recorder.commitLatencies]
  const display = [...recorder.displayLatencies]
  const status = await service.stop()
  const streams = status.devices[0].streams
  const db = context.study().db
  // Samples missing inside each stored stream, by its own clock: the span at the nominal rate against what is there.
  const missing = streams.map((stream) => {
    const row = db.prepare('SELECT start_ms, end_ms, sample_count FROM stream WHERE name = ?').get(stream.name) as {
      start_ms: number
      end_ms: number
      sample_count: number
    }
    return Math.round(((row.end_ms - row.start_ms) * stream.nominalRateHz) / 1000) + 1 - row.sample_count
  })
  const integrity = db.pragma('integrity_check', { simple: true })
  context.close()
  process.stdout.write(
    `${JSON.stringify({
      cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      stored: streams[0].stored,
      streams: streams.map((stream) => ({ name: stream.name, stored: stream.stored, lost: stream.lost, measuredRateHz: stream.measuredRateHz })),
      missingInStored: Math.max(...missing),
      errors: status.devices[0].errors,
      commitP50: percentile(commit, 50),
      commitP99: percentile(commit, 99),
      displayP50: percentile(display, 50),
      displayP99: percentile(display, 99),
      renderEventsPerSecond: renderEvents / (seconds + 1),
      integrity
    })}\n`
  )
}

/** The peer: the same bytes read by serialport and thrown away, after the same start command the device needs. */
export async function runBare(scenario: Scenario, path: string, seconds: number): Promise<void> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())))
  let bytes = 0
  port.on('data', (chunk: Buffer) => (bytes += chunk.length))
  if (scenario === 'bitalino') port.write(Buffer.from([0xc3, (0x3f << 2) | 0x01]))
  if (scenario === 'shimmer3') port.write(Buffer.from([0x08, 0x84, 0x01, 0x00, 0x05, 0x40, 0x00, 0x5e, 0x01, 0x07]))
  await sleep(1000)
  const cpuBefore = process.cpuUsage()
  const wallBefore = performance.now()
  const bytesBefore = bytes
  await sleep(seconds * 1000)
  const cpu = process.cpuUsage(cpuBefore)
  const wallMs = performance.now() - wallBefore
  port.close()
  process.stdout.write(
    `${JSON.stringify({ cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, bytesPerSecond: ((bytes - bytesBefore) * 1000) / wallMs })}\n`
  )
}
