import type { ChannelSpec, ChannelType } from './channels'

export const DATA_PACKET = 0x00
export const ACK = 0xff
export const NACK = 0xfe
/** Prefix of LogAndStream's in-stream responses: `8A 71 <status>`, `8A 94 <battery>`, `8A 88 <len> <dir>`. */
export const INSTREAM = 0x8a
export const INSTREAM_STATUS = 0x71
export const INSTREAM_BATTERY = 0x94
export const INSTREAM_DIRECTORY = 0x88

/** Payload bytes after `8A <id>`, or -1 while the bytes so far do not tell; null for an id we do not know. */
export function instreamPayloadLength(bytes: Uint8Array, idAt: number): number | null {
  switch (bytes[idAt]) {
    case INSTREAM_STATUS:
      return 1 // Shimmer3; a 3R sends 2
    case INSTREAM_BATTERY:
      return 3
    case INSTREAM_DIRECTORY:
      return idAt + 1 < bytes.length ? 1 + bytes[idAt + 1] : -1
    default:
      return null
  }
}

export interface InstreamResponse {
  id: number
  payload: Buffer
}

/** What one push() found, in typed arrays so that 512 packets a second cost few allocations. */
export interface DecodedChunk {
  count: number
  /** Raw packet timestamps, count of them. */
  timestamps: Uint32Array
  /** Raw channel values in inquiry order: packet i, channel c at i * channels + c. */
  values: Int32Array
  acks: number
  nacks: number
  responses: InstreamResponse[]
  /** Bytes dropped to find the next packet. */
  skipped: number
}

export interface PacketDecoderOptions {
  /** 3, or 2 on very old firmware (BtStream < 0.7.3, LogAndStream < 0.5.4). */
  timestampBytes?: 2 | 3
  /**
   * Whether unsolicited in-stream responses come with their 0xFF prefix (the firmware default; `A3 00` turns
   * it off). Without it a packet may also be followed by 0x8A.
   */
  instreamPrefix?: boolean
}

const TYPE_CODES: Record<ChannelType, number> = {
  u8: 0,
  u12: 1,
  u16: 1,
  i16: 2,
  u16be: 3,
  i16be: 4,
  u24be: 5,
  i24be: 6
}

/**
 * The streaming byte stream cut into data packets (`00 | timestamp LE | channels in inquiry order`), ACKs,
 * NACKs and in-stream responses, incrementally: a push() may end anywhere and the tail waits for the next.
 *
 * Resynchronisation follows the Java API: a packet is accepted only when the byte after it starts something
 * (0x00 a packet, 0xFF an ACK or a prefixed response, and 0x8A when the prefix is off); otherwise one byte is
 * dropped and the next 0x00 is tried. A packet that ends exactly where the bytes end is accepted at once when
 * its start is known to be right (it follows an accepted packet or reply, or begins the stream), because
 * devices write whole packets and waiting for the next chunk would delay every chunk's last packet by one
 * chunk (a second at 1 Hz); while resynchronising such a packet waits for the byte after it. The cost: bytes
 * lost inside that last packet go unseen, and the next chunk's first bytes are then dropped as garbage.
 * While resynchronising only 0x00 is tried, so stray 0xFF bytes are not taken for ACKs.
 *
 * A 0xFF that ends the bytes is reported as an ACK at once: the STOP ACK is the last byte a device sends. If
 * it was the prefix of an in-stream response, that response still decodes from the next chunk, and the cost
 * is one ACK too many.
 */
export class PacketDecoder {
  readonly frameLength: number
  private readonly channelCount: number
  private readonly offsets: Int32Array
  private readonly codes: Int32Array
  private readonly timestampBytes: number
  private readonly instreamPrefix: boolean
  private tail: Buffer = Buffer.alloc(0)
  /** The next byte is known to start a packet or reply. */
  private aligned = true

  constructor(channels: readonly ChannelSpec[], options: PacketDecoderOptions = {}) {
    this.timestampBytes = options.timestampBytes ?? 3
    this.instreamPrefix = options.instreamPrefix ?? true
    this.channelCount = channels.length
    this.offsets = new Int32Array(channels.length)
    this.codes = new Int32Array(channels.length)
    let offset = 1 + this.timestampBytes
    channels.forEach((channel, index) => {
      this.offsets[index] = offset
      this.codes[index] = TYPE_CODES[channel.type]
      offset += channel.size
    })
    this.frameLength = offset
  }

  /** Bytes held back for the next push. */
  get pending(): number {
    return this.tail.length
  }

  push(chunk: Uint8Array): DecodedChunk {
    const bytes: Buffer = this.tail.length
      ? Buffer.concat([this.tail, chunk])
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const n = bytes.length
    const length = this.frameLength
    const most = Math.floor(n / length)
    const timestamps = new Uint32Array(most)
    const values = new Int32Array(most * this.channelCount)
    const responses: InstreamResponse[] = []
    let count = 0
    let acks = 0
    let nacks = 0
    let skipped = 0
    let at = 0
    while (at < n) {
      const byte = bytes[at]
      if (byte === DATA_PACKET) {
        const end = at + length
        if (end > n) break
        if (end === n ? this.aligned : this.follows(bytes[end])) {
          timestamps[count] = this.readTimestamp(bytes, at)
          this.readValues(bytes, at, values, count * this.channelCount)
          count++
          at = end
          this.aligned = true
          continue
        }
        if (end === n) break
      } else if (this.aligned && byte === ACK) {
        if (at + 1 < n && bytes[at + 1] === INSTREAM) {
          const next = this.instream(bytes, at + 1, responses)
          if (next === -1) break
          if (next > 0) {
            at = next
            continue
          }
        }
        acks++
        at++
        continue
      } else if (this.aligned && byte === NACK) {
        nacks++
        at++
        continue
      } else if (this.aligned && byte === INSTREAM) {
        const next = this.instream(bytes, at, responses)
        if (next === -1) break
        if (next > 0) {
          at = next
          continue
        }
      }
      skipped++
      at++
      this.aligned = false
    }
    this.tail = at < n ? Buffer.from(bytes.subarray(at)) : Buffer.alloc(0)
    return {
      count,
      timestamps: timestamps.subarray(0, count),
      values: values.subarray(0, count * this.channelCount),
      acks,
      nacks,
      responses,
      skipped
    }
  }

  /** The index after `8A <id> <payload>` at `at`; -1 while incomplete; 0 for an id we do not know. */
  private instream(bytes: Buffer, at: number, responses: InstreamResponse[]): number {
    if (at + 1 >= bytes.length) return -1
    const payload = instreamPayloadLength(bytes, at + 1)
    if (payload === null) return 0
    if (payload < 0 || at + 2 + payload > bytes.length) return -1
    responses.push({ id: bytes[at + 1], payload: Buffer.from(bytes.subarray(at + 2, at + 2 + payload)) })
    return at + 2 + payload
  }

  private follows(byte: number): boolean {
    return byte === DATA_PACKET || byte === ACK || (!this.instreamPrefix && byte === INSTREAM)
  }

  private readTimestamp(bytes: Buffer, at: number): number {
    const low = bytes[at + 1] | (bytes[at + 2] << 8)
    return this.timestampBytes === 3 ? low + bytes[at + 3] * 65536 : low
  }

  private readValues(bytes: Buffer, at: number, out: Int32Array, into: number): void {
    for (let c = 0; c < this.channelCount; c++) {
      const i = at + this.offsets[c]
      let value: number
      switch (this.codes[c]) {
        case 0:
          value = bytes[i]
          break
        case 1:
          value = bytes[i] | (bytes[i + 1] << 8)
          break
        case 2:
          value = ((bytes[i] | (bytes[i + 1] << 8)) << 16) >> 16
          break
        case 3:
          value = (bytes[i] << 8) | bytes[i + 1]
          break
        case 4:
          value = (((bytes[i] << 8) | bytes[i + 1]) << 16) >> 16
          break
        case 5:
          value = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
          break
        default:
          value = (((bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]) << 8) >> 8
      }
      out[into + c] = value
    }
  }
}
