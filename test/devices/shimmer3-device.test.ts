import { afterEach, describe, expect, it } from 'vitest'
import type { DeviceEvent, DeviceGap, DeviceSamples } from '../../src-main/devices/device'
import { DeviceProtocolError, DeviceTimeoutError, DisconnectedError } from '../../src-main/devices/errors'
import { Shimmer3Device } from '../../src-main/devices/shimmer3/shimmer3-device'
import { shimmer3Settings, type Shimmer3Settings } from '../../src-main/ipc/contract/record'
import { PtyPair, ptyUnavailableReason } from '../support/pty-pair'
import { emulatedRaw, Shimmer3Emulator, type Shimmer3EmulatorOptions } from '../support/shimmer3-emulator'

const skip = ptyUnavailableReason()
if (skip) console.warn(`skipping Shimmer3 device tests: ${skip}`)

/** Conductance by hand from the reference (§7), independent of the code under test. */
function expectedMicrosiemens(raw: number, setting: number): number {
  const range = setting === 4 ? raw >> 14 : setting
  let adc = raw & 0x0fff
  if (range === 3 && adc < 683) adc = 683
  const rf = [40.2, 287, 1000, 3300][range]
  let kohm = rf / ((adc * 3) / 4095 / 0.5 - 1)
  const limits = [
    [8, 63],
    [63, 220],
    [220, 680],
    [680, 4700]
  ]
  kohm = setting === 4 ? Math.max(8, kohm) : Math.min(limits[setting][1], Math.max(limits[setting][0], kohm))
  return 1000 / kohm
}

function close(actual: number, expected: number, what: string): void {
  // Samples are Float32: about 7 significant digits.
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThan(
    1e-5 * Math.max(1, Math.abs(expected))
  )
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(skip !== null)('Shimmer3 GSR+ over a pty pair', () => {
  let pair: PtyPair | null = null
  let emulator: Shimmer3Emulator | null = null
  let device: Shimmer3Device | null = null

  afterEach(async () => {
    await device?.close()
    await emulator?.detach()
    await pair?.dispose()
    device = null
    emulator = null
    pair = null
  })

  async function connect(
    settings: Partial<Shimmer3Settings> = {},
    options: Shimmer3EmulatorOptions = {},
    replyTimeoutMs = 1000
  ) {
    pair = new PtyPair()
    await pair.start()
    emulator = new Shimmer3Emulator(options)
    await emulator.attach(pair.devicePath)
    device = new Shimmer3Device(
      shimmer3Settings.parse({ protocol: 'shimmer3', path: pair.appPath, ...settings }),
      {
        replyTimeoutMs
      }
    )
    await device.open()
    return { pair, emulator, device }
  }

  /** Streams for `ms`, then stops; all events in order. */
  async function stream(ms: number, during?: (elapsed: number) => void): Promise<DeviceEvent[]> {
    const events: DeviceEvent[] = []
    await device!.start((event) => events.push(event))
    const started = Date.now()
    while (Date.now() - started < ms) {
      await sleep(50)
      during?.(Date.now() - started)
    }
    await device!.stop()
    return events
  }

  const samplesOf = (events: DeviceEvent[], stream: string) =>
    events.filter((event): event is DeviceSamples => event.kind === 'samples' && event.stream === stream)
  const timesOf = (events: DeviceEvent[], stream: string) =>
    samplesOf(events, stream).flatMap((event) => [...event.deviceMs])
  const errorsOf = (events: DeviceEvent[], cause: string) =>
    events.reduce(
      (sum, event) => sum + (event.kind === 'error' && event.cause === cause ? event.count : 0),
      0
    )
  const gapsOf = (events: DeviceEvent[]) => events.filter((event): event is DeviceGap => event.kind === 'gap')

  it('configures with one command at a time, in order, and describes the streams at the real rate', async () => {
    const { emulator, device } = await connect()
    const description = await device.configure()
    // prettier-ignore
    expect(emulator.written).toEqual([
      0x03,             // dummy GET_SAMPLING_RATE to flush
      0x3f,             // GET_SHIMMER_VERSION
      0x2e,             // GET_FW_VERSION
      0xa3, 0x00,       // in-stream ACK prefix off (LogAndStream 0.16.0 >= 0.15.4)
      0x08, 0x84, 0x01, 0x00, // SET_SENSORS LN accel 0x80 | GSR 0x04 | A13 0x0100
      0x05, 0x00, 0x01, // SET_SAMPLING_RATE 256 ticks = 128 Hz
      0x21, 0x04,       // SET_GSR_RANGE auto
      0x5e, 0x01,       // internal expansion power on for the PPG
      0x01,             // INQUIRY
      0x95              // GET_VBATT
    ])
    expect(emulator).toMatchObject({ sensors: 0x184, ticks: 256, gsrRange: 4, internalExpansionPower: 1 })
    expect(emulator.instreamPrefix).toBe(false)
    expect(description.streams).toEqual([
      { name: 'eda', unit: 'µS', rateHz: 128, channels: ['gsr'] },
      { name: 'bvp', unit: 'mV', rateHz: 128, channels: ['ppg'] },
      { name: 'acc', unit: 'm/s²', rateHz: 128, channels: ['x', 'y', 'z'] }
    ])
    expect(description.info).toMatchObject({
      hardware: 'Shimmer3',
      firmware: 'LogAndStream 0.16.0',
      samplingTicks: 256,
      gsrRange: 'auto',
      instreamAckPrefix: 'off',
      internalExpansionPower: 'on',
      // Firmware channel order: LN accel, A13, GSR.
      channels: 'lowNoiseAccelX lowNoiseAccelY lowNoiseAccelZ internalA13 gsr',
      // 2600 · 3000 / 4095 · 2 = 3809.5
      batteryMv: 3810
    })
  })

  it('asks for the whole number of ticks nearest a rate and reports the rate that gives', async () => {
    const { emulator, device } = await connect({ rateHz: 100, ppg: false, accel: false, gsrRange: 1 })
    const description = await device.configure()
    // round(327.68) = 328 = 0x0148; GSR only: no expansion power.
    expect(emulator.written).toEqual([
      0x03, 0x3f, 0x2e, 0xa3, 0x00, 0x08, 0x04, 0x00, 0x00, 0x05, 0x48, 0x01, 0x21, 0x01, 0x01, 0x95
    ])
    expect(description.streams).toEqual([{ name: 'eda', unit: 'µS', rateHz: 32768 / 328, channels: ['gsr'] }])
    expect(description.info.gsrRange).toBe('287 kΩ feedback')
  })

  it('streams samples in physical units that match the raw values sent', async () => {
    const { emulator, device } = await connect({ rateHz: 128 })
    await device.configure()
    // 1 s: 128 packets, past packet 96 where the auto range reaches range 3.
    const events = await stream(1000)
    const period = 1000 / 128
    const eda = samplesOf(events, 'eda')
    expect(eda.length).toBeGreaterThan(3) // several chunks, not one
    const times = timesOf(events, 'eda')
    expect(times.length).toBeGreaterThan(100)
    expect(times.length).toBe(emulator.index)
    const gsr = eda.flatMap((event) => [...event.values])
    const ppg = samplesOf(events, 'bvp').flatMap((event) => [...event.values])
    const acc = samplesOf(events, 'acc').flatMap((event) => [...event.values])
    expect(timesOf(events, 'bvp')).toEqual(times)
    expect(ppg.length).toBe(times.length)
    expect(acc.length).toBe(times.length * 3)
    const rangesSeen = new Set<number>()
    times.forEach((ms, i) => {
      const index = Math.round(ms / period)
      expect(index).toBe(i)
      const raw = emulatedRaw(0x1c, index, 4)
      rangesSeen.add(raw >> 14)
      close(gsr[i], expectedMicrosiemens(raw, 4), `GSR ${index}`)
      close(ppg[i], (emulatedRaw(0x12, index, 4) * 3000) / 4095, `PPG ${index}`)
      // a_x = −(u_y − 2047) / 83, a_y = −(u_x − 2047) / 83, a_z = −(u_z − 2047) / 83
      const [x, y, z] = [0x00, 0x01, 0x02].map((id) => emulatedRaw(id, index, 4))
      close(acc[i * 3], -(y - 2047) / 83, `accel x ${index}`)
      close(acc[i * 3 + 1], -(x - 2047) / 83, `accel y ${index}`)
      close(acc[i * 3 + 2], -(z - 2047) / 83, `accel z ${index}`)
    })
    // The auto range moved through all four resistors (every 32 packets).
    expect(rangesSeen.size).toBe(4)
    expect(gapsOf(events)).toEqual([])
    expect(events.filter((event) => event.kind === 'error')).toEqual([])
  })

  it('converts a fixed GSR range with its clamps, and sends no expansion power without PPG', async () => {
    const { emulator, device } = await connect({ rateHz: 256, gsrRange: 2, ppg: false, accel: false })
    await device.configure()
    expect(emulator.written).not.toContain(0x5e)
    const events = await stream(400)
    const gsr = samplesOf(events, 'eda').flatMap((event) => [...event.values])
    expect(gsr.length).toBe(emulator.index)
    expect(samplesOf(events, 'bvp')).toEqual([])
    timesOf(events, 'eda').forEach((ms, i) => {
      const index = Math.round((ms * 256) / 1000)
      close(gsr[i], expectedMicrosiemens(emulatedRaw(0x1c, index, 2), 2), `GSR ${index}`)
      // Range 2 measures 220-680 kΩ: 1.47-4.55 µS.
      expect(gsr[i]).toBeGreaterThanOrEqual(1000 / 680 - 1e-4)
      expect(gsr[i]).toBeLessThanOrEqual(1000 / 220 + 1e-4)
    })
  })

  it('delivers every packet at 512 Hz for 2 s, one period apart, and stops on the ACK glued to the last', async () => {
    const { emulator, device } = await connect({ rateHz: 512 })
    await device.configure()
    const events: DeviceEvent[] = []
    const before = Date.now()
    await device.start((event) => events.push(event))
    const started = Date.now()
    await sleep(2000)
    const stopping = Date.now()
    await device.stop()
    const after = Date.now()
    // Far under the 1 s stop() waits when no ACK comes: the ACK in the last packet's write was seen.
    expect(after - stopping).toBeLessThan(500)
    const times = timesOf(events, 'eda')
    expect(times.length).toBe(emulator.index)
    expect(times.length).toBeGreaterThanOrEqual(Math.floor(((stopping - started) * 512) / 1000) - 20)
    expect(times.length).toBeLessThanOrEqual(Math.ceil(((after - before) * 512) / 1000) + 2)
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000 / 512)
    expect(gapsOf(events)).toEqual([])
    expect(events.filter((event) => event.kind === 'error')).toEqual([])
    // Nothing after stop().
    const count = events.length
    await sleep(100)
    expect(events.length).toBe(count)
  })

  it('keeps device time continuous across the 24-bit timestamp roll-over', async () => {
    // 0.5 s before the counter wraps at 512 Hz; packet 256 carries exactly 0x000000.
    const startTimestamp = 2 ** 24 - 64 * 256
    const { emulator, device } = await connect({ rateHz: 512 }, { startTimestamp })
    await device.configure()
    expect(emulator.timestampOf(256)).toBe(0)
    const events = await stream(1200)
    const times = timesOf(events, 'eda')
    expect(times.length).toBe(emulator.index)
    expect(times[times.length - 1]).toBeGreaterThan(600)
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000 / 512)
    expect(gapsOf(events)).toEqual([])
    expect(errorsOf(events, 'invalid-timestamp')).toBe(0)
  })

  it('keeps device time continuous across the 16-bit roll-over of old BtStream firmware', async () => {
    const { emulator, device } = await connect(
      { rateHz: 128 },
      { firmware: { id: 1, major: 0, minor: 7, internal: 2 }, startTimestamp: 65536 - 256 * 64 }
    )
    const description = await device.configure()
    expect(emulator.timestampBytes).toBe(2)
    // BtStream: no in-stream prefix switch, no GET_VBATT.
    expect(emulator.written).not.toContain(0xa3)
    expect(emulator.written[emulator.written.length - 1]).toBe(0x01)
    expect(description.info).toMatchObject({
      firmware: 'BtStream 0.7.2',
      timestampBytes: 2,
      instreamAckPrefix: 'on'
    })
    const events = await stream(1000)
    const times = timesOf(events, 'eda')
    expect(times.length).toBe(emulator.index)
    expect(times[times.length - 1]).toBeGreaterThan(600)
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000 / 128)
  })

  it('reports dropped packets as a timestamp gap with the number lost', async () => {
    const { emulator, device } = await connect({ rateHz: 256 })
    await device.configure()
    let dropped = false
    const events = await stream(700, (elapsed) => {
      if (elapsed > 250 && !dropped) {
        dropped = true
        emulator.dropPackets(7)
      }
    })
    const gaps = gapsOf(events)
    expect(gaps).toHaveLength(1)
    expect(gaps[0]).toMatchObject({ missing: 7, cause: 'timestamp' })
    expect(gaps[0].stream).toBeUndefined()
    expect(gaps[0].toDeviceMs - gaps[0].fromDeviceMs).toBe((8 * 1000) / 256)
    expect(timesOf(events, 'eda').length).toBe(emulator.index - 7)
  })

  it('counts garbage as resync errors and never stores it as samples', async () => {
    const { emulator, device } = await connect({ rateHz: 256 })
    await device.configure()
    const garbage = [0x13, 0x37, 0xff, 0x00, 0x42, 0x8a, 0x99]
    let injected = 0
    const events = await stream(900, (elapsed) => {
      if ((elapsed > 200 && injected === 0) || (elapsed > 500 && injected === 1)) {
        injected++
        emulator.injectGarbage(garbage)
      }
    })
    expect(injected).toBe(2)
    expect(errorsOf(events, 'resync')).toBeGreaterThanOrEqual(2 * garbage.length)
    const times = timesOf(events, 'eda')
    const gsr = samplesOf(events, 'eda').flatMap((event) => [...event.values])
    const ppg = samplesOf(events, 'bvp').flatMap((event) => [...event.values])
    const indices = times.map((ms) => (ms * 256) / 1000)
    indices.forEach((index, i) => {
      expect(Number.isInteger(index)).toBe(true)
      if (i) expect(index).toBeGreaterThan(indices[i - 1])
      close(gsr[i], expectedMicrosiemens(emulatedRaw(0x1c, index, 4), 4), `GSR ${index}`)
      close(ppg[i], (emulatedRaw(0x12, index, 4) * 3000) / 4095, `PPG ${index}`)
    })
    // Every packet made is either stored or counted lost (the packet before the garbage may go with it).
    const missing = gapsOf(events).reduce((sum, gap) => sum + gap.missing, 0)
    expect(times.length + missing).toBe(emulator.index)
    expect(missing).toBeLessThanOrEqual(2 * 2)
  })

  it('reads unsolicited status amid data, with the prefix off and (older firmware) on', async () => {
    for (const firmware of [
      { id: 3, major: 0, minor: 16, internal: 0 },
      { id: 3, major: 0, minor: 15, internal: 3 }
    ]) {
      const { emulator, device } = await connect({ rateHz: 256 }, { firmware })
      const description = await device.configure()
      expect(description.info.instreamAckPrefix).toBe(firmware.minor === 16 ? 'off' : 'on')
      expect(emulator.instreamPrefix).toBe(firmware.minor !== 16)
      let sent = 0
      const events = await stream(600, (elapsed) => {
        if (elapsed > 100 * (sent + 1) && sent < 4) {
          sent++
          emulator.sendStatus(0x31)
        }
      })
      expect(sent).toBe(4)
      expect(events.filter((event) => event.kind !== 'samples')).toEqual([])
      expect(timesOf(events, 'eda').length).toBe(emulator.index)
      await device.close()
      await emulator.detach()
      await pair!.dispose()
    }
  })

  it('reports a pulled cable as disconnected within 2 s, and stop and close still work', async () => {
    const { pair, device } = await connect({ rateHz: 128 })
    await device.configure()
    const events: DeviceEvent[] = []
    const disconnected = new Promise<number>((resolve) =>
      device.start((event) => {
        events.push(event)
        if (event.kind === 'disconnected') resolve(Date.now())
      })
    )
    await sleep(300)
    const pulled = Date.now()
    await pair.stop()
    const at = await disconnected
    expect(at - pulled).toBeLessThan(2000)
    const event = events.find((candidate) => candidate.kind === 'disconnected')
    expect(event?.kind === 'disconnected' && event.error).toBeInstanceOf(DisconnectedError)
    expect(timesOf(events, 'eda').length).toBeGreaterThan(20)
    await expect(device.stop()).resolves.toBeUndefined()
    await expect(device.close()).resolves.toBeUndefined()
    await expect(device.close()).resolves.toBeUndefined()
    await expect(device.configure()).rejects.toThrow(DisconnectedError)
  })

  it('fails with a DeviceTimeoutError naming the command when nothing answers', async () => {
    pair = new PtyPair()
    await pair.start()
    device = new Shimmer3Device(shimmer3Settings.parse({ protocol: 'shimmer3', path: pair.appPath }), {
      replyTimeoutMs: 300
    })
    await device.open()
    const error = await device.configure().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DeviceTimeoutError)
    expect((error as Error).message).toContain('GET_SHIMMER_VERSION (0x3F)')
    expect((error as Error).message).toContain(pair.appPath)
  })

  it('fails with a DeviceProtocolError on a NACK, and refuses a Shimmer3R and SDLog firmware', async () => {
    await connect({}, { nack: [0x08] })
    await expect(device!.configure()).rejects.toThrow(/refused SET_SENSORS \(0x08\) \(NACK\)/)
    await device!.close()
    await emulator!.detach()
    await pair!.dispose()
    await connect({}, { hardwareVersion: 10 })
    await expect(device!.configure()).rejects.toThrow(DeviceProtocolError)
    await expect(device!.configure()).rejects.toThrow(/Shimmer3R/)
    await device!.close()
    await emulator!.detach()
    await pair!.dispose()
    await connect({}, { firmware: { id: 2, major: 0, minor: 19, internal: 0 } })
    await expect(device!.configure()).rejects.toThrow(/SDLog/)
  })

  it('keeps the in-stream prefix on when the firmware NACKs or ignores A3, and still streams', async () => {
    for (const options of [{ nack: [0xa3] }, { silent: [0xa3] }]) {
      const { emulator, device } = await connect({ rateHz: 256 }, options, 300)
      const description = await device.configure()
      expect(description.info.instreamAckPrefix).toBe('on')
      expect(emulator.sensors).toBe(0x184)
      let sent = false
      const events = await stream(400, (elapsed) => {
        if (elapsed > 150 && !sent) {
          sent = true
          emulator.sendStatus(0x31)
        }
      })
      expect(events.filter((event) => event.kind !== 'samples')).toEqual([])
      expect(timesOf(events, 'eda').length).toBe(emulator.index)
      await device.close()
      await emulator.detach()
      await pair!.dispose()
    }
  })

  it('skips unsolicited status during configuration instead of taking its 0xFF for an ACK', async () => {
    const { emulator, device } = await connect({}, { statusBefore: [0x3f, 0x08, 0x01] })
    const description = await device.configure()
    expect(description.info.hardware).toBe('Shimmer3')
    expect(emulator.sensors).toBe(0x184)
    expect(description.streams.map((stream) => stream.name)).toEqual(['eda', 'bvp', 'acc'])
  })

  it('stops a stream an earlier session left running before configuring', async () => {
    const { emulator, device } = await connect({ rateHz: 128 })
    emulator.sensors = 0x84
    emulator.ticks = 64
    emulator.startStreaming()
    await sleep(100)
    const description = await device.configure()
    expect(emulator.written.slice(0, 3)).toEqual([0x03, 0x20, 0x3f])
    expect(emulator.streaming).toBe(false)
    expect(description.streams.map((stream) => stream.rateHz)).toEqual([128, 128, 128])
    const events = await stream(300)
    expect(timesOf(events, 'eda').length).toBe(emulator.index)
    expect(events.filter((event) => event.kind === 'error')).toEqual([])
  })
})
