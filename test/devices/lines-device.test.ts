import { afterEach, describe, expect, it } from 'vitest'
import type { DeviceEvent, DeviceSamples } from '../../src-main/devices/device'
import type { ByteTransport } from '../../src-main/devices/serial-transport'
import { DeviceProtocolError, DeviceTimeoutError, DisconnectedError } from '../../src-main/devices/errors'
import { LinesDevice } from '../../src-main/devices/lines/lines-device'
import { linesSettings } from '../../src-main/ipc/contract/record'
import { emulatedValue, LinesEmulator, type LinesEmulatorOptions } from '../support/lines-emulator'
import { PtyPair, ptyUnavailableReason } from '../support/pty-pair'

const skip = ptyUnavailableReason()
if (skip) console.warn(`skipping line device tests: ${skip}`)

/** What a device streamed: samples as rows, errors summed by cause with the last detail, the disconnect. */
class Collected {
  readonly rows: number[][] = []
  readonly deviceMs: number[] = []
  readonly errors: Record<string, number> = {}
  readonly details: Record<string, string> = {}
  readonly events: DeviceEvent[] = []
  disconnected: { error: DisconnectedError; atMs: number } | null = null

  readonly sink = (event: DeviceEvent): void => {
    this.events.push(event)
    if (event.kind === 'samples') this.samples(event)
    if (event.kind === 'error') {
      this.errors[event.cause] = (this.errors[event.cause] ?? 0) + event.count
      if (event.detail) this.details[event.cause] = event.detail
    }
    if (event.kind === 'disconnected') this.disconnected = { error: event.error, atMs: performance.now() }
  }

  private samples(event: DeviceSamples): void {
    const width = event.values.length / event.deviceMs.length
    for (let i = 0; i < event.deviceMs.length; i++) {
      this.deviceMs.push(event.deviceMs[i])
      this.rows.push([...event.values.subarray(i * width, (i + 1) * width)])
    }
  }

  /** Line numbers are channel 0 (see emulatedValue). */
  get lastLine(): number {
    return this.rows.at(-1)?.[0] ?? -1
  }
}

/** Each row is the emulator's line (first + k): none lost, repeated, reordered, or garbage among them. */
function expectEmulatedLines(rows: number[][], channels: number): void {
  const first = rows[0][0]
  const expected = rows.map((_, k) =>
    Array.from({ length: channels }, (_, c) => Math.fround(emulatedValue(first + k, c)))
  )
  expect(rows).toEqual(expected)
}

function relativeError(measured: number, truth: number): number {
  return Math.abs(measured - truth) / truth
}

describe.skipIf(skip !== null)('line device over a pty pair', () => {
  let pair: PtyPair | null = null
  let emulator: LinesEmulator | null = null
  let device: LinesDevice | null = null
  afterEach(async () => {
    await device?.close()
    await emulator?.detach()
    await pair?.dispose()
    pair = null
    emulator = null
    device = null
  })

  /** A pty pair, the emulator on its device end and an open LinesDevice (real serialport) on the app end. */
  async function connect(
    options: LinesEmulatorOptions,
    settings: { rateHz?: number; channels?: string[]; stream?: string; unit?: string } = {},
    replyTimeoutMs?: number
  ): Promise<{ emulator: LinesEmulator; device: LinesDevice }> {
    pair = new PtyPair()
    await pair.start()
    emulator = new LinesEmulator(options)
    await emulator.attach(pair.devicePath)
    device = new LinesDevice(linesSettings.parse({ protocol: 'lines', path: pair.appPath, ...settings }), {
      replyTimeoutMs
    })
    await device.open()
    return { emulator, device }
  }

  it('learns the channels from a header, measures the rate and streams the lines as sent', async () => {
    const channels = ['eda', 'hr', 'temp']
    const { emulator, device } = await connect(
      { rateHz: 100, channels, separator: '\t', preamble: 'header', lineEnding: '\r\n' },
      { stream: 'eda', unit: 'µS' }
    )
    emulator.startStreaming()
    const description = await device.configure()
    const [stream] = description.streams
    expect(description.streams).toHaveLength(1)
    expect(stream.name).toBe('eda')
    expect(stream.unit).toBe('µS')
    expect(stream.channels).toEqual(channels)
    expect(description.info.channelsFrom).toBe('header')
    expect(description.info.rate).toBe('measured')
    // A one-second count against the emulator's timers, which lag by a few lines on a loaded machine.
    expect(relativeError(stream.rateHz, 100)).toBeLessThan(0.05)

    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.rows.length).toBeGreaterThan(30)
    expectEmulatedLines(collected.rows, 3)
    // No device clock: sample k of this start() is at k / rateHz.
    expect(collected.deviceMs.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((k) => (k * 1000) / stream.rateHz))
    expect(collected.errors).toEqual({})
  })

  it('measures 1000 lines a second', async () => {
    const { emulator, device } = await connect({ rateHz: 1000, channels: ['a', 'b'], splitLines: true })
    emulator.startStreaming()
    const { streams, info } = await device.configure()
    expect(relativeError(streams[0].rateHz, 1000)).toBeLessThan(0.03)
    expect(relativeError(info.measuredRateHz as number, 1000)).toBeLessThan(0.03)
    expect(streams[0].channels).toEqual(['ch1', 'ch2'])
  })

  it('learns the channels from label:value pairs', async () => {
    const { emulator, device } = await connect(
      { rateHz: 50, channels: ['x', 'y'], pairs: true },
      { rateHz: 50 }
    )
    emulator.startStreaming()
    const { streams, info } = await device.configure()
    expect(streams[0].channels).toEqual(['x', 'y'])
    expect(info.channelsFrom).toBe('labels')
    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.rows.length).toBeGreaterThan(5)
    expectEmulatedLines(collected.rows, 2)
  })

  it('learns the channels from a label-only line', async () => {
    const { emulator, device } = await connect(
      { rateHz: 50, channels: ['p', 'q', 'r'], separator: ' ', preamble: 'labels' },
      { rateHz: 50 }
    )
    emulator.startStreaming()
    const { streams } = await device.configure()
    expect(streams[0].channels).toEqual(['p', 'q', 'r'])
  })

  it('uses a stated rate as it is, without measuring, and names plain values from the settings', async () => {
    const { emulator, device } = await connect(
      { rateHz: 100, channels: ['a', 'b'] },
      { rateHz: 250, channels: ['left', 'right'] }
    )
    emulator.startStreaming()
    const began = performance.now()
    const { streams, info } = await device.configure()
    // Learning the channels takes two lines (20 ms here); a measurement would take a second.
    expect(performance.now() - began).toBeLessThan(500)
    expect(streams[0]).toMatchObject({ rateHz: 250, channels: ['left', 'right'] })
    expect(info).toMatchObject({ rate: 'stated', channelsFrom: 'settings' })
    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.rows.length).toBeGreaterThan(3)
    expect(collected.deviceMs.slice(0, 4)).toEqual([0, 4, 8, 12])
  })

  it('refuses channel names of another count than the lines carry', async () => {
    const { emulator, device } = await connect(
      { rateHz: 100, channels: ['a', 'b', 'c'] },
      { channels: ['x', 'y'] }
    )
    emulator.startStreaming()
    const error = await device.configure().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DeviceProtocolError)
    expect((error as Error).message).toContain(
      'the lines carry 3 values, but 2 channel names were given (x, y)'
    )
  })

  it('loses nothing at 1000 lines a second for 2 s, lines cut across writes', async () => {
    const channels = ['a', 'b', 'c', 'd']
    const { emulator, device } = await connect({ rateHz: 1000, channels, splitLines: true }, { rateHz: 1000 })
    emulator.startStreaming()
    await device.configure()
    const collected = new Collected()
    await device.start(collected.sink)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    emulator.stopStreaming()
    const last = emulator.sent - 1
    await expect.poll(() => collected.lastLine).toBe(last)
    const first = collected.rows[0][0]
    expect(collected.rows.length).toBe(last - first + 1)
    expect(collected.rows.length).toBeGreaterThan(1800)
    expectEmulatedLines(collected.rows, channels.length)
    expect(collected.deviceMs.at(-1)).toBe(collected.rows.length - 1)
    expect(collected.errors).toEqual({})
    // Once per chunk: far fewer samples events than lines.
    expect(collected.events.length).toBeLessThan(collected.rows.length / 3)
  })

  it('counts garbage by cause and never stores it', async () => {
    const { emulator, device } = await connect({ rateHz: 100, channels: ['a', 'b', 'c'] }, { rateHz: 100 })
    emulator.startStreaming()
    await device.configure()
    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.rows.length).toBeGreaterThan(5)
    for (const line of ['hello', '1,2,x', '1,2', 'nan,1,2', 'ERR: sensor fault', '<ERR overflow', '1,2,3,4'])
      emulator.inject(line)
    emulator.inject('#'.repeat(5000))
    const after = collected.lastLine + 20
    await expect.poll(() => collected.lastLine).toBeGreaterThan(after)
    expect(collected.errors).toEqual({
      unparsed: 2,
      'wrong-count': 2,
      'non-finite': 1,
      'device-error': 2,
      overlong: 1
    })
    expect(collected.details['device-error']).toBe('<ERR overflow')
    expect(collected.details['wrong-count']).toBe('4 values, not 3: 1,2,3,4')
    expectEmulatedLines(collected.rows, 3)
  })

  it('reports a pulled cable as disconnected within 2 s', async () => {
    const { emulator, device } = await connect({ rateHz: 100, channels: ['a'] }, { rateHz: 100 })
    emulator.startStreaming()
    await device.configure()
    const collected = new Collected()
    await device.start(collected.sink)
    await expect.poll(() => collected.rows.length).toBeGreaterThan(3)
    // Pulled while lines stream, so a read is in flight (the transport's binding reports the hung-up tty).
    const pulledAt = performance.now()
    await pair!.stop()
    await expect.poll(() => collected.disconnected).not.toBeNull()
    expect(collected.disconnected!.error).toBeInstanceOf(DisconnectedError)
    expect(collected.disconnected!.atMs - pulledAt).toBeLessThan(2000)
    expect(collected.events.filter((event) => event.kind === 'disconnected')).toHaveLength(1)
    await device.stop()
    await device.close()
    await device.close()
  })

  it('times out on a silent port, asking about the baud rate', async () => {
    const { device } = await connect({ rateHz: 100, channels: ['a'] }, {}, 1000)
    const began = performance.now()
    const error = await device.configure().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DeviceTimeoutError)
    expect((error as Error).message).toMatch(/baud rate/)
    expect(performance.now() - began).toBeGreaterThanOrEqual(990)
    expect(performance.now() - began).toBeLessThan(2000)
  })

  it('says when bytes come but no line is data', async () => {
    const { emulator, device } = await connect({ rateHz: 100, channels: ['a'] }, {}, 1000)
    const noise = setInterval(() => emulator.send('#!?\n'), 20)
    const error = await device.configure().catch((caught: unknown) => caught)
    clearInterval(noise)
    expect(error).toBeInstanceOf(DeviceProtocolError)
    expect((error as Error).message).toMatch(/none of numbers .*#!\?.*baud rate/)
  })

  it('asks for the rate when too few lines come to measure it', async () => {
    const { emulator, device } = await connect({ rateHz: 1, channels: ['a', 'b'] })
    emulator.startStreaming()
    const error = await device.configure().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DeviceProtocolError)
    expect((error as Error).message).toMatch(/rateHz, --rate/)
  })
})

/** A transport the test drives by hand: feed() is bytes from the device, pull() the cable going. */
class FakeTransport implements ByteTransport {
  readonly path = '/dev/fake'
  isOpen = true
  closes = 0
  private data: (chunk: Buffer) => void = () => {}
  private disconnect: (error: DisconnectedError) => void = () => {}

  async write(): Promise<void> {}
  onData(listener: (chunk: Buffer) => void): void {
    this.data = listener
  }
  onDisconnect(listener: (error: DisconnectedError) => void): void {
    this.disconnect = listener
  }
  async close(): Promise<void> {
    this.closes++
    this.isOpen = false
  }
  feed(text: string): void {
    this.data(Buffer.from(text))
  }
  pull(): void {
    this.isOpen = false
    this.disconnect(new DisconnectedError(this.path, 'cable pulled'))
  }
}

describe('line device on a fake transport', () => {
  async function openFake(settings: { rateHz?: number } = {}) {
    const transport = new FakeTransport()
    const device = new LinesDevice(
      linesSettings.parse({ protocol: 'lines', path: transport.path, ...settings }),
      {
        openTransport: async () => transport
      }
    )
    await device.open()
    return { transport, device }
  }

  it('rejects configure with the DisconnectedError when the cable goes meanwhile', async () => {
    const { transport, device } = await openFake({ rateHz: 10 })
    const configured = device.configure()
    transport.pull()
    await expect(configured).rejects.toThrow(DisconnectedError)
    await expect(device.start(() => {})).rejects.toThrow(DisconnectedError)
    await device.close()
  })

  it('keeps no line from before start(), numbers samples from each start() and emits once per chunk', async () => {
    const { transport, device } = await openFake({ rateHz: 50 })
    const configured = device.configure()
    transport.feed('cut\n1 2\n3 4\n')
    await configured
    transport.feed('5 6\n')
    const collected = new Collected()
    await device.start(collected.sink)
    transport.feed('7 8\n9 10\n1 2 3\n')
    transport.feed('11 12\n')
    expect(collected.rows).toEqual([
      [7, 8],
      [9, 10],
      [11, 12]
    ])
    expect(collected.deviceMs).toEqual([0, 20, 40])
    expect(collected.events.map((event) => event.kind)).toEqual(['samples', 'error', 'samples'])
    expect(collected.events[1]).toEqual({
      kind: 'error',
      cause: 'wrong-count',
      count: 1,
      detail: '3 values, not 2: 1 2 3'
    })
    await device.stop()
    transport.feed('13 14\n')
    expect(collected.rows).toHaveLength(3)
    await device.start(collected.sink)
    transport.feed('15 16\n')
    expect(collected.deviceMs.at(-1)).toBe(0)
    await device.close()
    await device.close()
    expect(transport.closes).toBe(1)
  })
})
