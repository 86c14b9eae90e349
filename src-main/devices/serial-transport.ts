import { SerialPortStream } from '@serialport/stream'
import { SerialPort } from 'serialport'
import type { SerialPortView } from '../ipc/contract/record'
import { DisconnectedError, PortOpenError } from './errors'
import { hangupAwareBinding } from './hangup-binding'

/** The byte pipe a protocol speaks over: a serial port here, anything with the same shape in a test. */
export interface ByteTransport {
  readonly path: string
  readonly isOpen: boolean
  /** Resolves once the bytes are handed to the OS. */
  write(data: Uint8Array): Promise<void>
  /** Every chunk as it arrives; one listener, replaced by the next call. */
  onData(listener: (chunk: Buffer) => void): void
  /** Called once when the port goes away without close() being called. */
  onDisconnect(listener: (error: DisconnectedError) => void): void
  close(): Promise<void>
}

export interface SerialOptions {
  baudRate: number
}

class SerialTransport implements ByteTransport {
  private dataListener: (chunk: Buffer) => void = () => {}
  private disconnectListener: (error: DisconnectedError) => void = () => {}
  private closing = false
  private gone = false

  constructor(private readonly port: SerialPortStream) {
    port.on('data', (chunk: Buffer) => this.dataListener(chunk))
    port.on('close', (error?: Error & { disconnected?: boolean }) =>
      this.lost(error?.message ?? 'the port closed')
    )
    // After open, an error event means the port failed under us (a read or write on a vanished device).
    port.on('error', (error: Error) => this.lost(error.message))
  }

  get path(): string {
    return this.port.path
  }

  get isOpen(): boolean {
    return this.port.isOpen && !this.gone
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) return reject(new DisconnectedError(this.path, 'the port is not open'))
      this.port.write(Buffer.from(data), (error) => {
        if (error) return reject(new DisconnectedError(this.path, error.message))
        this.port.drain((drainError) =>
          drainError ? reject(new DisconnectedError(this.path, drainError.message)) : resolve()
        )
      })
    })
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListener = listener
  }

  onDisconnect(listener: (error: DisconnectedError) => void): void {
    this.disconnectListener = listener
  }

  close(): Promise<void> {
    this.closing = true
    if (!this.port.isOpen) return Promise.resolve()
    return new Promise((resolve) => this.port.close(() => resolve()))
  }

  private lost(reason: string): void {
    if (this.closing || this.gone) return
    this.gone = true
    if (this.port.isOpen) this.port.close(() => {})
    this.disconnectListener(new DisconnectedError(this.path, reason))
  }
}

/** Opens a serial port (8N1, no flow control) with the real bindings. Throws PortOpenError. */
export async function openSerialTransport(path: string, options: SerialOptions): Promise<ByteTransport> {
  const port = new SerialPortStream({
    binding: hangupAwareBinding(),
    path,
    baudRate: options.baudRate,
    autoOpen: false,
    lock: true
  })
  await new Promise<void>((resolve, reject) => {
    port.open((error) => (error ? reject(new PortOpenError(path, error.message)) : resolve()))
  })
  return new SerialTransport(port)
}

/**
 * The serial ports the OS lists, with vendor and product ids where it gives them. Pseudo-terminals and
 * unbound /dev/rfcomm* are often missing from the list, so the Record page also takes a typed path.
 */
export async function listSerialPorts(): Promise<SerialPortView[]> {
  const ports = await SerialPort.list()
  return ports.map((port) => ({
    path: port.path,
    manufacturer: port.manufacturer ?? null,
    serialNumber: port.serialNumber ?? null,
    vendorId: port.vendorId ?? null,
    productId: port.productId ?? null,
    pnpId: port.pnpId ?? null
  }))
}
