import { autoDetect, BindingsError, type AutoDetectTypes } from '@serialport/bindings-cpp'
import { read } from 'node:fs'
import { promisify } from 'node:util'

const readAsync = promisify(read)

type OpenOptions = Parameters<AutoDetectTypes['open']>[0]
type PortBinding = Awaited<ReturnType<AutoDetectTypes['open']>> & {
  fd: number | null
  poller: { once(event: 'readable', callback: (error?: Error | null) => void): void }
}

/**
 * One read of a Unix serial port that treats end-of-file as what it is on a tty: the line hung up (the USB
 * adapter was pulled, the pty's other end went away). bindings-cpp retries a zero-byte read at once, forever:
 * a pulled cable then spins a core and is never reported. Errors that mean the device went are marked as
 * disconnects, so serialport closes with its DisconnectedError.
 */
async function readUntilHangup(port: PortBinding, buffer: Buffer, offset: number, length: number) {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw new BindingsError('Port is not open', { canceled: true })
    try {
      const { bytesRead } = await readAsync(port.fd, buffer, offset, length, null)
      if (bytesRead === 0)
        throw Object.assign(new Error('the line hung up (end of file)'), { code: 'EIO', disconnect: true })
      return { bytesRead, buffer }
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { disconnect?: boolean }
      if (failure.code === 'EAGAIN' || failure.code === 'EWOULDBLOCK' || failure.code === 'EINTR') {
        if (!port.isOpen) throw new BindingsError('Port is not open', { canceled: true })
        await new Promise<void>((resolve, reject) =>
          port.poller.once('readable', (pollError?: Error | null) =>
            pollError ? reject(pollError) : resolve()
          )
        )
        continue
      }
      if (['EBADF', 'ENXIO', 'EIO', 'UNKNOWN'].includes(failure.code ?? '') || failure.errno === -1)
        failure.disconnect = true
      throw failure
    }
  }
}

/** The platform's binding, with reads that report a hung-up line on Linux and macOS. */
export function hangupAwareBinding(): AutoDetectTypes {
  const base = autoDetect()
  if (process.platform === 'win32') return base
  return {
    list: () => base.list(),
    async open(options: OpenOptions) {
      const port = (await base.open(options)) as PortBinding
      port.read = (buffer: Buffer, offset: number, length: number) =>
        readUntilHangup(port, buffer, offset, length)
      return port
    }
  }
}
