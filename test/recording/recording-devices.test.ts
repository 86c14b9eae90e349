import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { LiveService } from '../../src-main/engine/live/live-service'
import type { RecordStatusView } from '../../src-main/ipc/contract'
import { RecordingService } from '../../src-main/recording/recording-service'
import { SignalStore } from '../../src-main/store/signal-store'
import { tempDir } from '../e2e/harness'
import { BitalinoEmulator, emulatedAdc } from '../support/bitalino-emulator'
import { LinesEmulator, emulatedValue } from '../support/lines-emulator'
import { PtyPair, ptyUnavailableReason } from '../support/pty-pair'

const skip = ptyUnavailableReason()
if (skip) console.warn(`skipping recording-from-devices tests: ${skip}`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** BITalino EDA (revolution) in µS from a 10-bit reading: (ADC / 2^10 × VCC) / 0.132, VCC 3.3 V. */
const edaOf = (adc: number) => ((adc / 1024) * 3.3) / 0.132
/** BITalino ECG in mV: (ADC / 2^10 − ½) × VCC / 1100 × 1000. */
const ecgOf = (adc: number) => (((adc / 1024 - 0.5) * 3.3) / 1100) * 1000

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function studyRig() {
  const path = join(tempDir('emoheal-recording-devices-'), 'study.emoheal-study')
  const context = new AppContext({ defaultStudyPath: path, transport: 'cli', version: 'test' })
  context.openStudy(path, true, 'Devices')
  cleanup.push(() => context.close())
  const participantId = context.study().createParticipant({ code: 'P03', notes: '' }).id
  const states: { atMs: number; status: RecordStatusView }[] = []
  context.onEvent((name, payload) => {
    if (name === 'record.state') states.push({ atMs: Date.now(), status: payload as RecordStatusView })
  })
  const live = new LiveService({ emit: (name, payload) => context.emit(name, payload) })
  const service = new RecordingService({ context, live })
  cleanup.push(async () => void (await service.stop()))
  return { path, context, service, participantId, states }
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

function readStudy(path: string) {
  const db = new Database(path, { readonly: true })
  cleanup.push(() => void db.close())
  const signals = new SignalStore(db)
  const stream = (name: string) => {
    const row = db
      .prepare('SELECT id, measured_rate_hz, lost_samples FROM stream WHERE name = ?')
      .get(name) as {
      id: number
      measured_rate_hz: number | null
      lost_samples: number
    }
    return { ...row, data: signals.read(row.id) }
  }
  const gaps = db
    .prepare('SELECT g.*, s.name FROM gap g JOIN stream s ON s.id = g.stream_id ORDER BY g.start_ms')
    .all() as {
    name: string
    start_ms: number
    end_ms: number
    missing_samples: number
    cause: string
  }[]
  const device = db.prepare('SELECT errors, reconnects FROM recording_device').get() as {
    errors: string
    reconnects: number
  }
  return {
    db,
    stream,
    gaps,
    device: { errors: JSON.parse(device.errors) as Record<string, number>, reconnects: device.reconnects }
  }
}

describe.skipIf(skip !== null)('recording from devices over a pty pair', () => {
  it('records a BITalino in physical units, records sequence gaps and an unplugged cable as gaps, and reconnects by itself', async () => {
    const pair = new PtyPair()
    cleanup.push(() => pair.dispose())
    await pair.start()
    let device = new BitalinoEmulator()
    await device.attach(pair.devicePath)
    const { path, service, participantId, states } = studyRig()

    await service.start({
      participantId,
      devices: [
        {
          protocol: 'bitalino',
          path: pair.appPath,
          baudRate: 115200,
          rateHz: 100,
          channels: ['A1', 'A2'],
          sensors: { A1: 'eda', A2: 'ecg' }
        }
      ],
      modelId: null
    })
    await until('samples', () => (service.status().devices[0]?.streams[0]?.stored ?? 0) > 50)
    // A TX overflow on the device: 7 frames never sent, then garbage on the line.
    device.skipSequence(7, device.sampleIndex + 20)
    device.injectGarbage([0xde, 0xad, 0xbe, 0xef, 0x00, 0x13], device.sampleIndex + 40)
    await sleep(1500)

    const pulledAt = Date.now()
    await pair.stop()
    await until(
      'the disconnected state in a record.state event',
      () => states.some(({ status }) => status.devices[0]?.state === 'disconnected'),
      2000
    )
    const shown = states.find(({ status }) => status.devices[0]?.state === 'disconnected')
    expect(shown!.atMs - pulledAt).toBeLessThan(2000)
    await sleep(1500)
    await pair.start()
    device = new BitalinoEmulator()
    await device.attach(pair.devicePath)
    await until(
      'the reconnection',
      () => service.status().devices[0].reconnects === 1 && service.status().devices[0].state === 'streaming'
    )
    await sleep(1500)
    const status = await service.stop()
    await device.detach()

    const study = readStudy(path)
    const eda = study.stream('eda')
    const ecg = study.stream('ecg')
    expect(eda.data.times.length).toBe(ecg.data.times.length)
    expect(status.devices[0].streams[0].stored).toBe(eda.data.times.length)

    const disconnected = study.gaps.filter((gap) => gap.cause === 'disconnected')
    const sequence = study.gaps.filter((gap) => gap.cause === 'sequence')
    expect(disconnected.map((gap) => gap.name).sort()).toEqual(['ecg', 'eda'])
    expect(sequence.map((gap) => [gap.name, gap.missing_samples]).sort()).toEqual([
      ['ecg', 7],
      ['eda', 7]
    ])
    const outage = disconnected[0]
    expect(outage.end_ms - outage.start_ms).toBeGreaterThan(1500)
    // Nothing is interpolated across the outage: no sample lies inside it.
    expect(Array.from(eda.data.times).some((t) => t > outage.start_ms && t < outage.end_ms)).toBe(false)
    expect(study.device.reconnects).toBe(1)
    expect(Object.values(study.device.errors).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0)

    // Before the outage, frame k of the emulator sits at k / 100 s after the first and carries its values
    // through the transfer functions; the skipped frames leave a hole of their own, garbage adds nothing.
    const first = eda.data.times[0]
    let checked = 0
    for (let i = 0; i < eda.data.times.length && eda.data.times[i] <= outage.start_ms; i++) {
      const k = Math.round(((eda.data.times[i] - first) * 100) / 1000)
      expect(eda.data.times[i] - first).toBeCloseTo(k * 10, 6)
      expect(eda.data.samples[i]).toBeCloseTo(edaOf(emulatedAdc(0, k)), 4)
      expect(ecg.data.samples[i]).toBeCloseTo(ecgOf(emulatedAdc(1, k)), 4)
      checked++
    }
    expect(checked).toBeGreaterThan(150)
    for (let i = 1; i < eda.data.times.length; i++)
      expect(eda.data.times[i]).toBeGreaterThan(eda.data.times[i - 1])
  })

  it('records a line-protocol board, counting lines that do not parse and storing none of them', async () => {
    const pair = new PtyPair()
    cleanup.push(() => pair.dispose())
    await pair.start()
    const board = new LinesEmulator({ rateHz: 200, channels: ['n', 'eda'], preamble: 'header' })
    await board.attach(pair.devicePath)
    board.startStreaming()
    const { path, service, participantId } = studyRig()
    await service.start({
      participantId,
      devices: [
        { protocol: 'lines', path: pair.appPath, baudRate: 115200, rateHz: 200, stream: 'eda', unit: 'uS' }
      ],
      modelId: null
    })
    await sleep(800)
    board.inject('this is not a sample')
    board.inject('1,2,3,4')
    await sleep(1500)
    await service.stop()
    board.stopStreaming()
    await board.detach()

    const study = readStudy(path)
    const eda = study.stream('eda')
    expect(eda.data.channelCount).toBe(2)
    // Channel n is the line's number: consecutive, none lost, none made up.
    const n = Array.from({ length: eda.data.times.length }, (_, i) => eda.data.samples[i * 2])
    for (let i = 1; i < n.length; i++) expect(n[i]).toBe(n[i - 1] + 1)
    n.forEach((line, i) => expect(eda.data.samples[i * 2 + 1]).toBe(emulatedValue(line, 1)))
    expect(n.length).toBeGreaterThan(300)
    const errors = Object.values(study.device.errors).reduce((sum, count) => sum + count, 0)
    expect(errors).toBe(2)
  })

  it('records two devices into one session, each with its own streams (a clashing name gets the device number)', async () => {
    const pair = new PtyPair()
    cleanup.push(() => pair.dispose())
    await pair.start()
    const board = new LinesEmulator({ rateHz: 50, channels: ['gsr'] })
    await board.attach(pair.devicePath)
    board.startStreaming()
    const { path, service, participantId } = studyRig()
    const started = await service.start({
      participantId,
      devices: [
        { protocol: 'simulator', path: 'simulator', seed: 8 },
        { protocol: 'lines', path: pair.appPath, baudRate: 115200, rateHz: 50, stream: 'eda', unit: 'uS' }
      ],
      modelId: null
    })
    expect(started.devices.map((device) => device.streams.map((stream) => stream.name))).toEqual([
      ['bvp', 'eda', 'temp', 'acc', 'hr'],
      ['eda-2']
    ])
    await sleep(2500)
    await service.stop()
    board.stopStreaming()
    await board.detach()
    const study = readStudy(path)
    const simulated = study.stream('eda')
    const board2 = study.stream('eda-2')
    expect(simulated.data.channelCount).toBe(1)
    expect(simulated.data.times.length).toBeGreaterThanOrEqual(8)
    expect(board2.data.times.length).toBeGreaterThanOrEqual(90)
    const devices = study.db
      .prepare('SELECT position, protocol FROM recording_device ORDER BY position')
      .all()
    expect(devices).toEqual([
      { position: 0, protocol: 'simulator' },
      { position: 1, protocol: 'lines' }
    ])
  })
})
