import { afterEach, describe, expect, it } from 'vitest'
import { DisconnectedError, PortOpenError } from '../../src-main/devices/errors'
import { openSerialTransport, type ByteTransport } from '../../src-main/devices/serial-transport'
import { PtyPair, ptyUnavailableReason } from '../support/pty-pair'
import { SerialEmulator } from '../support/serial-emulator'

class Echo extends SerialEmulator {
  protected received(chunk: Buffer): void {
    this.send(Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'))
  }
}

/** A device that pours 64 bytes every 2 ms, so a read is nearly always in flight. */
class Streamer extends SerialEmulator {
  protected received(): void {}
  begin(): void {
    this.every(2, () => this.send(Buffer.alloc(64, 0x55)))
  }
}

const skip = ptyUnavailableReason()
if (skip) console.warn(`skipping serial transport tests: ${skip}`)

describe.skipIf(skip !== null)('serial transport over a pty pair', () => {
  let pair: PtyPair | null = null
  let transport: ByteTransport | null = null
  afterEach(async () => {
    await transport?.close()
    await pair?.dispose()
    pair = null
    transport = null
  })

  it('writes and reads real bytes, and reports a pulled cable as a DisconnectedError', async () => {
    pair = new PtyPair()
    await pair.start()
    const device = new Echo()
    await device.attach(pair.devicePath)
    transport = await openSerialTransport(pair.appPath, { baudRate: 115200 })
    const received: Buffer[] = []
    transport.onData((chunk) => received.push(chunk))
    const lost = new Promise<DisconnectedError>((resolve) => transport!.onDisconnect(resolve))
    await transport.write(Buffer.from('hello'))
    await expect.poll(() => Buffer.concat(received).toString()).toBe('HELLO')
    expect(device.written).toEqual([...Buffer.from('hello')])
    const pulledAt = Date.now()
    await pair.stop()
    const error = await lost
    expect(error).toBeInstanceOf(DisconnectedError)
    expect(error.message).toContain(pair.appPath)
    expect(Date.now() - pulledAt).toBeLessThan(2000)
    expect(transport.isOpen).toBe(false)
    await device.detach()
  })

  /** A fresh pair with a streaming device: the cable is pulled once `minimumBytes` have arrived. */
  async function pullWhileStreaming(minimumBytes: number) {
    pair = new PtyPair()
    await pair.start()
    const device = new Streamer()
    await device.attach(pair.devicePath)
    transport = await openSerialTransport(pair.appPath, { baudRate: 115200 })
    let bytes = 0
    transport.onData((chunk) => (bytes += chunk.length))
    const lost = new Promise<DisconnectedError>((resolve) => transport!.onDisconnect(resolve))
    device.begin()
    await expect.poll(() => bytes).toBeGreaterThan(minimumBytes)
    const pulledAt = Date.now()
    await pair.stop()
    const outcome = await Promise.race([
      lost,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 2000))
    ])
    const elapsedMs = Date.now() - pulledAt
    await device.detach()
    await transport.close()
    await pair.dispose()
    transport = null
    pair = null
    return { outcome, elapsedMs }
  }

  it('reports a cable pulled while bytes stream, every time (bindings-cpp alone retries the hung-up read forever)', async () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const { outcome, elapsedMs } = await pullWhileStreaming(4096)
      expect(outcome, `pull ${attempt + 1}`).toBeInstanceOf(DisconnectedError)
      expect(elapsedMs).toBeLessThan(2000)
    }
  })

  it('still reports a pulled cable after an earlier port was closed while bytes were arriving', async () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      // A port closed mid-stream...
      const first = new PtyPair()
      await first.start()
      const busy = new Streamer()
      await busy.attach(first.devicePath)
      const early = await openSerialTransport(first.appPath, { baudRate: 115200 })
      let seen = 0
      early.onData((chunk) => (seen += chunk.length))
      busy.begin()
      await expect.poll(() => seen).toBeGreaterThan(1024)
      await early.close()
      await busy.detach()
      await first.dispose()
      // ...must not keep the next one from seeing its cable go.
      const { outcome } = await pullWhileStreaming(1024)
      expect(outcome, `attempt ${attempt + 1}`).toBeInstanceOf(DisconnectedError)
    }
  })

  it('names the path when a port cannot be opened', async () => {
    await expect(openSerialTransport('/dev/emoheal-no-such-port', { baudRate: 115200 })).rejects.toThrow(
      PortOpenError
    )
  })
})
