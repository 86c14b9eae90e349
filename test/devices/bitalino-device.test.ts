import { afterEach, describe, expect, it } from 'vitest'
import { BitalinoDevice } from '../../src-main/devices/bitalino/bitalino-device'
import type { DeviceEvent, DeviceGap, DeviceSamples } from '../../src-main/devices/device'
import { DeviceProtocolError, DeviceTimeoutError, DisconnectedError } from '../../src-main/devices/errors'
import { bitalinoSettings, type BitalinoSettings } from '../../src-main/ipc/contract/record'
import { BitalinoEmulator, emulatedAdc, type BitalinoEmulatorOptions } from '../support/bitalino-emulator'
import { PtyPair, ptyUnavailableReason } from '../support/pty-pair'

const skip = ptyUnavailableReason()
if (skip) console.warn(`skipping BITalino device tests: ${skip}`)

// The sensors' transfer functions as the datasheets give them, n the channel's bits (VCC 3.3 V).
const eda = (adc: number, n: number) => ((adc / 2 ** n) * 3.3) / 0.132
const ecg = (adc: number, n: number) => ((adc / 2 ** n - 0.5) * 3.3 * 1000) / 1100
const emg = (adc: number, n: number) => ((adc / 2 ** n - 0.5) * 3.3 * 1000) / 1009
const acc = (adc: number, n: number) => (n === 10 ? 2 * ((adc - 400) / 208) - 1 : 2 * ((adc - 25) / 13) - 1)

/** What the emulator's physical channel (0 = A1) reads at frame i on a 10-bit or a 6-bit frame position. */
const reading = (channel: number, i: number, bits: number) =>
  bits === 10 ? emulatedAdc(channel, i) : emulatedAdc(channel, i) >> 4

/** Events split by kind, and each stream's samples joined. */
class Collected {
  readonly events: DeviceEvent[] = []
  readonly sink = (event: DeviceEvent) => this.events.push(event)

  samples(stream: string): { deviceMs: number[]; values: number[][] } {
    const deviceMs: number[] = []
    const values: number[][] = []
    for (const event of this.events) {
      if (event.kind !== 'samples' || event.stream !== stream) continue
      const width = event.values.length / event.deviceMs.length
      event.deviceMs.forEach((ms, i) => {
        deviceMs.push(ms)
        values.push(Array.from(event.values.subarray(i * width, (i + 1) * width)))
      })
    }
    return { deviceMs, values }
  }

  count(stream: string): number {
    let total = 0
    for (const event of this.events)
      if (event.kind === 'samples' && event.stream === stream) total += event.deviceMs.length
    return total
  }

  errors(cause: string): number {
    return this.events.reduce((sum, e) => sum + (e.kind === 'error' && e.cause === cause ? e.count : 0), 0)
  }

  gaps(): DeviceGap[] {
    return this.events.filter((event): event is DeviceGap => event.kind === 'gap')
  }
}

/** Float32 values against their exact expectation. */
function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length)
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]), `${what}[${i}]`).toBeLessThan(1e-5))
}

describe.skipIf(skip !== null)('BITalino device over a pty pair', () => {
  let pair: PtyPair | null = null
  let emulator: BitalinoEmulator | null = null
  let device: BitalinoDevice | null = null

  afterEach(async () => {
    await device?.close()
    await emulator?.detach()
    await pair?.dispose()
    device = null
    emulator = null
    pair = null
  })

  async function setUp(
    settings: Partial<BitalinoSettings>,
    /** null leaves the device end silent. */
    emulatorOptions: BitalinoEmulatorOptions | null = {},
    replyTimeoutMs?: number
  ): Promise<{ device: BitalinoDevice; emulator: BitalinoEmulator | null }> {
    pair = new PtyPair()
    await pair.start()
    if (emulatorOptions !== null) {
      emulator = new BitalinoEmulator(emulatorOptions)
      await emulator.attach(pair.devicePath)
    }
    device = new BitalinoDevice(
      bitalinoSettings.parse({ protocol: 'bitalino', path: pair.appPath, ...settings }),
      { replyTimeoutMs }
    )
    await device.open()
    return { device, emulator }
  }

  it('configures with stop, version, rate and state, starts with the channel mask, and converts the samples', async () => {
    const { device, emulator } = await setUp({
      rateHz: 100,
      channels: ['A6', 'A1', 'A3', 'A2', 'A5'],
      sensors: { A1: 'eda', A2: 'ecg', A3: 'ecg', A5: 'acc' }
    })
    const started = Date.now()
    const description = await device.configure()
    expect(Date.now() - started).toBeLessThan(1500)
    await expect.poll(() => emulator!.written).toEqual([0x00, 0x07, 0x83, 0x0b])
    // Frame positions: A1 0, A2 1, A3 2, A5 3 (10-bit, A4 is off), A6 4 (6-bit).
    expect(description.streams).toEqual([
      { name: 'eda', unit: 'µS', rateHz: 100, channels: ['A1'] },
      { name: 'ecg', unit: 'mV', rateHz: 100, channels: ['A2', 'A3'] },
      { name: 'acc', unit: 'g', rateHz: 100, channels: ['A5'] },
      { name: 'raw', unit: 'ADC', rateHz: 100, channels: ['A6'] }
    ])
    // The emulator's battery reads 560: 3.4 + 33 * 0.4 / 63 = 3.61 V; threshold 0 (the stop reset it): 3.4 V.
    expect(description.info).toMatchObject({
      firmware: 'BITalino_v5.2',
      hardware: 'BITalino (r)evolution',
      batteryVolts: 3.61,
      batteryThresholdVolts: 3.4,
      analogOutput: 0
    })

    const collected = new Collected()
    await device.start(collected.sink)
    // A1 A2 A3 A5 A6 = bits 0 1 2 4 5 = 55; 55 << 2 | 1.
    await expect.poll(() => emulator!.written.slice(4)).toEqual([(55 << 2) | 1])
    await expect.poll(() => collected.count('eda'), { timeout: 5000 }).toBeGreaterThanOrEqual(30)
    await device.stop()
    expect(emulator!.live).toBe(false)
    await expect.poll(() => emulator!.written.slice(5)).toEqual([0x00, 0x07])
    const received = collected.count('eda')

    const edaSamples = collected.samples('eda')
    const indices = edaSamples.deviceMs.map((ms) => ms / 10)
    expect(indices).toEqual(Array.from({ length: received }, (_, i) => i))
    expectClose(
      edaSamples.values.flat(),
      indices.map((i) => eda(reading(0, i, 10), 10)),
      'eda'
    )
    const ecgSamples = collected.samples('ecg')
    expect(ecgSamples.deviceMs).toEqual(edaSamples.deviceMs)
    expectClose(
      ecgSamples.values.flat(),
      indices.flatMap((i) => [ecg(reading(1, i, 10), 10), ecg(reading(2, i, 10), 10)]),
      'ecg'
    )
    expectClose(
      collected.samples('acc').values.flat(),
      indices.map((i) => acc(reading(4, i, 10), 10)),
      'acc'
    )
    expectClose(
      collected.samples('raw').values.flat(),
      indices.map((i) => reading(5, i, 6) * 16),
      'raw'
    )
    expect(collected.gaps()).toEqual([])
    expect(collected.errors('crc') + collected.errors('resync')).toBe(0)

    // Nothing arrives after stop.
    const events = collected.events.length
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(collected.events.length).toBe(events)
  })

  it('delivers 1000 Hz x 6 channels for 2 s without losing a sample', async () => {
    const { device, emulator } = await setUp({
      rateHz: 1000,
      sensors: { A1: 'eda', A2: 'ecg', A3: 'emg', A4: 'acc', A5: 'eda', A6: 'acc' }
    })
    const description = await device.configure()
    await expect.poll(() => emulator!.written).toEqual([0x00, 0x07, 0xc3, 0x0b])
    expect(description.streams.map((stream) => [stream.name, stream.channels])).toEqual([
      ['eda', ['A1', 'A5']],
      ['ecg', ['A2']],
      ['emg', ['A3']],
      ['acc', ['A4', 'A6']]
    ])
    const collected = new Collected()
    const started = performance.now()
    await device.start(collected.sink)
    await expect.poll(() => emulator!.written.at(-1)).toBe((0x3f << 2) | 1)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const sent = emulator!.framesSent
    const elapsed = performance.now() - started
    // The emulator sends what its clock says is due, in pairs: about one frame per millisecond.
    expect(Math.abs(sent - elapsed)).toBeLessThan(50)
    await expect.poll(() => collected.count('eda'), { timeout: 5000 }).toBeGreaterThanOrEqual(sent)
    await device.stop()

    const { deviceMs, values } = collected.samples('eda')
    expect(deviceMs.length).toBeGreaterThanOrEqual(sent)
    expect(deviceMs).toEqual(Array.from({ length: deviceMs.length }, (_, i) => i))
    expect(collected.gaps()).toEqual([])
    expect(collected.errors('crc') + collected.errors('resync')).toBe(0)
    // A5 and A6 are the 5th and 6th channels: 6-bit.
    expectClose(
      values.flat(),
      deviceMs.flatMap((i) => [eda(reading(0, i, 10), 10), eda(reading(4, i, 6), 6)]),
      'eda'
    )
    expectClose(
      collected.samples('acc').values.flat(),
      deviceMs.flatMap((i) => [acc(reading(3, i, 10), 10), acc(reading(5, i, 6), 6)]),
      'acc'
    )
    expectClose(
      collected.samples('emg').values.flat(),
      deviceMs.map((i) => emg(reading(2, i, 10), 10)),
      'emg'
    )
    expect(collected.count('ecg')).toBe(deviceMs.length)
  })

  it('counts garbage and corrupted frames and never turns them into samples', async () => {
    const { device, emulator } = await setUp({ rateHz: 100, channels: ['A1', 'A2', 'A3'] })
    await device.configure()
    // 3 channels: 6-byte frames. 5 bytes of garbage before frame 20; frames 40 and 41 with a bad CRC.
    emulator!.injectGarbage([0xde, 0xad, 0xbe, 0xef, 0x42], 20)
    emulator!.corruptNextFrames(2, 40)
    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.count('raw'), { timeout: 5000 }).toBeGreaterThanOrEqual(55)
    await device.stop()

    const { deviceMs, values } = collected.samples('raw')
    const indices = deviceMs.map((ms) => ms / 10)
    const expected = Array.from({ length: indices.at(-1)! + 1 }, (_, i) => i).filter(
      (i) => i !== 40 && i !== 41
    )
    expect(indices).toEqual(expected)
    expectClose(
      values.flat(),
      indices.flatMap((i) => [0, 1, 2].map((channel) => emulatedAdc(channel, i))),
      'raw'
    )
    // Where a frame was due: once in the garbage (5 < 6 bytes), once per corrupted frame.
    expect(collected.errors('crc')).toBe(3)
    expect(collected.errors('resync')).toBe(5 + 2 * 6)
    // The corrupted frames are lost samples.
    expect(collected.gaps()).toEqual([
      { kind: 'gap', fromDeviceMs: 390, toDeviceMs: 420, missing: 2, cause: 'sequence' }
    ])
  })

  it('reports a sequence jump as a gap and moves device time over it', async () => {
    const { device, emulator } = await setUp({ rateHz: 100, channels: ['A2'], sensors: { A2: 'ecg' } })
    await device.configure()
    emulator!.skipSequence(3, 25)
    // 15 lost: the frame after the gap repeats the last one's 4-bit number (39 and 55 are both 7).
    emulator!.skipSequence(15, 40)
    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.count('ecg'), { timeout: 5000 }).toBeGreaterThanOrEqual(45)
    await device.stop()

    expect(collected.gaps()).toEqual([
      { kind: 'gap', fromDeviceMs: 240, toDeviceMs: 280, missing: 3, cause: 'sequence' },
      { kind: 'gap', fromDeviceMs: 390, toDeviceMs: 550, missing: 15, cause: 'sequence' }
    ])
    const { deviceMs } = collected.samples('ecg')
    expect(deviceMs.slice(23, 27)).toEqual([230, 240, 280, 290])
    // Received: 0..24, 28..39, 55..: frame 39 is the 37th.
    expect(deviceMs.slice(35, 39)).toEqual([380, 390, 550, 560])
    expect(collected.errors('crc') + collected.errors('resync')).toBe(0)
  })

  it('reports a pulled cable as disconnected within 2 s, and stops and closes quietly after', async () => {
    const { device } = await setUp({ rateHz: 100, channels: ['A1'] })
    await device.configure()
    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.count('raw'), { timeout: 5000 }).toBeGreaterThan(5)
    const pulled = Date.now()
    await pair!.stop()
    await expect
      .poll(() => collected.events.find((event) => event.kind === 'disconnected'), { timeout: 2000 })
      .toBeDefined()
    expect(Date.now() - pulled).toBeLessThan(2000)
    const disconnected = collected.events.find((event) => event.kind === 'disconnected')!
    expect(disconnected.kind === 'disconnected' && disconnected.error).toBeInstanceOf(DisconnectedError)
    await expect(device.stop()).resolves.toBeUndefined()
    await expect(device.close()).resolves.toBeUndefined()
    await expect(device.close()).resolves.toBeUndefined()
    const samples = collected.events.filter(
      (event): event is DeviceSamples => event.kind === 'samples'
    ).length
    expect(collected.events.at(-1)?.kind).toBe('disconnected')
    expect(samples).toBeGreaterThan(0)
  })

  it('stops a device left streaming by an earlier session, and reads the 16-byte state of firmware 5.1', async () => {
    const { device, emulator } = await setUp({ rateHz: 10, channels: ['A1'] }, { version: 'BITalino_v5.1\n' })
    emulator!.startLive(0x3f)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const description = await device.configure()
    await expect.poll(() => emulator!.written).toEqual([0x00, 0x07, 0x43, 0x0b])
    expect(description.info).toMatchObject({ firmware: 'BITalino_v5.1', batteryVolts: 3.61 })
    expect(description.info).not.toHaveProperty('analogOutput')
    expect(description.info).not.toHaveProperty('state')
  })

  it('does not ask legacy firmware for its state', async () => {
    const { device, emulator } = await setUp({ rateHz: 1, channels: ['A1'] }, { version: 'BITalino_v4.1\n' })
    const description = await device.configure()
    await expect.poll(() => emulator!.written).toEqual([0x00, 0x07, 0x03])
    expect(description.info).toMatchObject({ firmware: 'BITalino_v4.1', hardware: 'BITalino' })
  })

  it('names a silent port with DeviceTimeoutError', async () => {
    const { device } = await setUp({}, null, 300)
    await expect(device.configure()).rejects.toThrow(DeviceTimeoutError)
  })

  it('names another device on the port with DeviceProtocolError', async () => {
    const { device } = await setUp({}, { version: 'ArduCounter V1.8\n' })
    const error = await device.configure().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DeviceProtocolError)
    expect((error as Error).message).toContain('ArduCounter V1.8')
  })
})
