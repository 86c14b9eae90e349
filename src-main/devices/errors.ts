import { EmohealError } from '../errors'

/** The port went away while it was in use: a cable pulled, a Bluetooth link dropped, a device reset. */
export class DisconnectedError extends EmohealError {
  override name = 'DisconnectedError'
  constructor(
    readonly path: string,
    reason: string
  ) {
    super(`${path}: disconnected (${reason})`, 'path')
  }
}

/** A device did not answer a command in time: wrong port, wrong baud rate, device off or asleep. */
export class DeviceTimeoutError extends EmohealError {
  override name = 'DeviceTimeoutError'
  constructor(
    readonly path: string,
    what: string,
    timeoutMs: number
  ) {
    super(
      `${path}: no answer to ${what} within ${timeoutMs} ms (is this the right port, protocol and baud rate?)`,
      'path'
    )
  }
}

/** A device answered, but not as its protocol says: another device on the port, a NACK, an unknown reply. */
export class DeviceProtocolError extends EmohealError {
  override name = 'DeviceProtocolError'
  constructor(
    readonly path: string,
    message: string
  ) {
    super(`${path}: ${message}`, 'path')
  }
}

/** A port that cannot be opened: it does not exist, is busy, or permission is denied. */
export class PortOpenError extends EmohealError {
  override name = 'PortOpenError'
  constructor(
    readonly path: string,
    reason: string
  ) {
    super(`${path}: cannot open the port (${reason})`, 'path')
  }
}
