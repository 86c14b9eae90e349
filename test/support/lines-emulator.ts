import { SerialEmulator } from './serial-emulator'

export interface LinesEmulatorOptions {
  /** Data lines a second. */
  rateHz: number
  /** Channel names (for the header, the label line and pairs); their count is the values a line carries. */
  channels: string[]
  /** Between values; default ','. */
  separator?: ',' | '\t' | ' '
  /** `name:value` pairs (Arduino Serial Plotter) instead of bare values. */
  pairs?: boolean
  /** Sent before the first data line: a header `a,b,c` or a label-only line `a:\tb:\tc:`. */
  preamble?: 'header' | 'labels'
  lineEnding?: '\n' | '\r\n'
  /** How often the due lines are written; default 10 ms, about how a USB serial adapter batches. */
  batchMs?: number
  /** Cut every write inside its last line and send the rest with the next, so lines straddle writes. */
  splitLines?: boolean
}

/**
 * Channel c of data line n, exact in Float32: channel 0 is n itself, so a test sees a lost, repeated or
 * reordered line; the others are quarters in [-500, 500] that differ per line and channel.
 */
export function emulatedValue(line: number, channel: number): number {
  return channel === 0 ? line : ((line * 7919 + channel * 104_729) % 4001) / 4 - 500
}

/**
 * A sketch printing one sample a line at a steady rate, as the line protocol's devices do, batched on a timer
 * (each tick writes the lines due by then, so the long-run rate is exact). Tests add garbage with inject().
 */
export class LinesEmulator extends SerialEmulator {
  /** Data lines written so far, numbered from 0; all of them are on the wire after stopStreaming(). */
  sent = 0
  private startedMs = 0
  private carry = ''
  private injected: string[] = []

  constructor(private readonly options: LinesEmulatorOptions) {
    super()
  }

  /** The line protocol has no commands: whatever the app writes is only recorded. */
  protected received(): void {}

  /** Sends the preamble now and data lines from now on. */
  startStreaming(): void {
    const { channels, separator = ',', preamble } = this.options
    if (preamble === 'header') this.send(channels.join(separator) + this.ending)
    if (preamble === 'labels') this.send(channels.map((name) => `${name}:`).join('\t') + this.ending)
    this.startedMs = performance.now()
    this.every(this.options.batchMs ?? 10, () => this.tick())
  }

  /** Stops the data lines, finishing one cut by splitLines; the port stays open. */
  stopStreaming(): void {
    this.stopTimers()
    if (this.carry) this.send(this.carry)
    this.carry = ''
  }

  /** Sends `line` and a line ending ahead of the next data lines: garbage, a wrong count, an ERR line. */
  inject(line: string): void {
    this.injected.push(line)
  }

  /** Data line n as the device prints it, without its ending. */
  format(line: number): string {
    const { channels, separator = ',', pairs } = this.options
    const values = channels.map((name, c) => {
      const value = String(emulatedValue(line, c))
      return pairs ? `${name}:${value}` : value
    })
    return values.join(separator)
  }

  private get ending(): string {
    return this.options.lineEnding ?? '\n'
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedMs) * this.options.rateHz) / 1000) + 1
    let text = this.carry + this.injected.map((line) => line + this.ending).join('')
    this.injected = []
    let last = ''
    for (; this.sent < due; this.sent++) {
      last = this.format(this.sent) + this.ending
      text += last
    }
    this.carry = ''
    if (this.options.splitLines && last.length > 1) {
      const cut = text.length - Math.ceil(last.length / 2)
      this.carry = text.slice(cut)
      text = text.slice(0, cut)
    }
    if (text) this.send(text)
  }
}
