import { DeviceTimeoutError } from './errors'

interface Waiter {
  /** How many bytes from the front make the awaited reply, or -1 while it is incomplete. */
  match: (bytes: Buffer) => number
  resolve: (reply: Buffer) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
}

/**
 * Bytes a device sent while it is being configured, for request-and-reply exchanges: a command is written,
 * then `take` waits until the reply is complete or the time is up. Streaming data does not go through here.
 */
export class ByteQueue {
  private bytes = Buffer.alloc(0)
  private waiter: Waiter | null = null

  constructor(private readonly path: string) {}

  get length(): number {
    return this.bytes.length
  }

  push(chunk: Buffer): void {
    this.bytes = this.bytes.length ? Buffer.concat([this.bytes, chunk]) : Buffer.from(chunk)
    this.settle()
  }

  /** Drops whatever has arrived (late frames, a previous reply). */
  clear(): void {
    this.bytes = Buffer.alloc(0)
  }

  /** Hands out and removes everything queued. */
  drain(): Buffer {
    const all = this.bytes
    this.bytes = Buffer.alloc(0)
    return all
  }

  /**
   * Resolves with the first reply `match` recognises (it returns the reply's length, or -1 while the bytes so
   * far are incomplete), removing it and anything before it that `match` skipped. Rejects with
   * DeviceTimeoutError naming `what` when none is complete within timeoutMs.
   */
  take(what: string, timeoutMs: number, match: (bytes: Buffer) => number): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error(`${this.path}: one reply at a time (${what})`))
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null
        reject(new DeviceTimeoutError(this.path, what, timeoutMs))
      }, timeoutMs)
      this.waiter = { match, resolve, reject, timer }
      this.settle()
    })
  }

  /** Ends a pending take with this error (the port closed). */
  fail(error: Error): void {
    const waiter = this.waiter
    if (!waiter) return
    this.waiter = null
    clearTimeout(waiter.timer)
    waiter.reject(error)
  }

  private settle(): void {
    const waiter = this.waiter
    if (!waiter) return
    const length = waiter.match(this.bytes)
    if (length < 0) return
    this.waiter = null
    clearTimeout(waiter.timer)
    const reply = this.bytes.subarray(0, length)
    this.bytes = this.bytes.subarray(length)
    waiter.resolve(Buffer.from(reply))
  }
}

/** A match for `take`: the reply ends at the first `byte` (inclusive). */
export function untilByte(byte: number): (bytes: Buffer) => number {
  return (bytes) => {
    const at = bytes.indexOf(byte)
    return at < 0 ? -1 : at + 1
  }
}

/** A match for `take`: exactly `length` bytes. */
export function exactly(length: number): (bytes: Buffer) => number {
  return (bytes) => (bytes.length >= length ? length : -1)
}
