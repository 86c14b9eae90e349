import { SerialPort } from 'serialport'

/**
 * The device end of a PtyPair, opened with the same serialport package the app uses. A protocol's emulator
 * extends it: `received` gets the bytes the app wrote, `send` answers. Streaming emulators call `every` to
 * send frames at their rate.
 */
export abstract class SerialEmulator {
  private port: SerialPort | null = null
  private timers: ReturnType<typeof setInterval>[] = []
  /** Every byte the app wrote, in order, for assertions on the command sequence. */
  readonly written: number[] = []

  async attach(devicePath: string): Promise<void> {
    const port = new SerialPort({ path: devicePath, baudRate: 115200, autoOpen: false })
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())))
    port.on('data', (chunk: Buffer) => {
      for (const byte of chunk) this.written.push(byte)
      this.received(chunk)
    })
    // The pty vanishes when socat stops: that is the test unplugging the cable, not a failure.
    port.on('error', () => {})
    port.on('close', () => this.stopTimers())
    this.port = port
  }

  async detach(): Promise<void> {
    this.stopTimers()
    const port = this.port
    this.port = null
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
  }

  get attached(): boolean {
    return this.port?.isOpen ?? false
  }

  /** Bytes from the app. */
  protected abstract received(chunk: Buffer): void

  send(bytes: Uint8Array | string): void {
    if (this.port?.isOpen)
      this.port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes))
  }

  /** Calls `tick` every intervalMs until stopTimers() or detach(). */
  protected every(intervalMs: number, tick: () => void): void {
    const timer = setInterval(tick, intervalMs)
    this.timers.push(timer)
  }

  protected stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
  }
}
