/** The CRC4 table (polynomial x^4 + x + 1) of the firmware's uart.c and the cpp API. */
const CRC4_TABLE = new Uint8Array([0, 3, 6, 5, 12, 15, 10, 9, 11, 8, 13, 14, 7, 4, 1, 2])

/**
 * The CRC4 a BITalino puts in the low nibble of the last byte of a frame or state reply: nibble by nibble over
 * the `length` bytes at `start`, the last byte's high nibble (sequence or digital ports) included, its low
 * nibble (the CRC itself) left out.
 */
export function crc4(bytes: Uint8Array, start = 0, length = bytes.length - start): number {
  const last = start + length - 1
  let crc = 0
  for (let i = start; i < last; i++) {
    const byte = bytes[i]
    crc = CRC4_TABLE[crc] ^ (byte >> 4)
    crc = CRC4_TABLE[crc] ^ (byte & 0x0f)
  }
  crc = CRC4_TABLE[crc] ^ (bytes[last] >> 4)
  return CRC4_TABLE[crc]
}

/** Whether the `length` bytes at `start` carry their own CRC4. */
export function crc4Valid(bytes: Uint8Array, start = 0, length = bytes.length - start): boolean {
  return crc4(bytes, start, length) === (bytes[start + length - 1] & 0x0f)
}

/**
 * Bytes in a live frame for 1 to 6 acquired channels: 3, 4, 6, 7, 8, 8. Three to five channels need one byte
 * more than N + 2 because the third channel straddles a byte the firmware would otherwise leave out.
 */
export function bitalinoFrameSize(channelCount: number): number {
  if (!Number.isInteger(channelCount) || channelCount < 1 || channelCount > 6)
    throw new RangeError(`a BITalino acquires 1 to 6 channels, not ${channelCount}`)
  return channelCount + 2 + (channelCount >= 3 && channelCount <= 5 ? 1 : 0)
}

/**
 * Bits of the value at a position in the frame (0 = the lowest acquired channel): the firmware sends only the
 * upper 6 bits of the 5th and 6th acquired channels, whichever pins they are.
 */
export function channelResolution(position: number): 10 | 6 {
  return position < 4 ? 10 : 6
}

/**
 * What one push decoded. The arrays are views into buffers the decoder reuses: read (or copy) them before the
 * next push. Frame i's analog values are at analog[i * channelCount + position].
 */
export interface BitalinoFrames {
  count: number
  /** The 4-bit sequence number of each frame. */
  sequence: Uint8Array
  /** The digital ports of each frame: I1, I2, O1, O2 in bits 3 to 0. */
  digital: Uint8Array
  /** 10-bit values for positions 0 to 3, 6-bit for 4 and 5, in ascending channel order. */
  analog: Uint16Array
  /** Frames whose CRC did not match where a frame was due. */
  crcFailures: number
  /** Bytes dropped to find the frame boundaries again. */
  skippedBytes: number
}

/**
 * Turns the byte stream of live mode into frames, whatever the chunking: a frame split across chunks waits for
 * its rest. On a CRC failure it slides a byte at a time, as the cpp API does, but only locks on where two
 * consecutive frames pass their CRC with consecutive sequence numbers: a 4-bit CRC alone passes one random
 * offset in 16, which would turn garbage into samples. A sequence jump while in step (frames the firmware's
 * full TX buffer dropped) is likewise believed only once the next frame confirms it.
 */
export class BitalinoFrameDecoder {
  readonly frameSize: number
  private synced = true
  /** The sequence number the next frame should carry; -1 before the first. */
  private expected = -1
  /** Bytes skipped since the frames fell out of step: every frameSize-th is where a frame was due. */
  private skippedSinceLoss = 0
  private tail = new Uint8Array(0)
  private tailLength = 0
  private work = new Uint8Array(0)
  private sequence = new Uint8Array(0)
  private digital = new Uint8Array(0)
  private analog = new Uint16Array(0)

  constructor(readonly channelCount: number) {
    this.frameSize = bitalinoFrameSize(channelCount)
    this.tail = new Uint8Array(2 * this.frameSize)
  }

  /** Bytes held back for the next push (an incomplete frame, or one awaiting its successor's confirmation). */
  get pending(): number {
    return this.tailLength
  }

  push(chunk: Uint8Array): BitalinoFrames {
    const size = this.frameSize
    let data = chunk
    let length = chunk.length
    if (this.tailLength > 0) {
      length = this.tailLength + chunk.length
      if (this.work.length < length) this.work = new Uint8Array(Math.max(length, 2 * this.work.length))
      this.work.set(this.tail.subarray(0, this.tailLength), 0)
      this.work.set(chunk, this.tailLength)
      data = this.work
    }
    this.reserve(Math.floor(length / size))

    let count = 0
    let crcFailures = 0
    let skippedBytes = 0
    let at = 0
    while (length - at >= size) {
      if (this.synced) {
        if (!crc4Valid(data, at, size)) {
          crcFailures++
          this.synced = false
          this.skippedSinceLoss = 1
          skippedBytes++
          at++
          continue
        }
        const seq = data[at + size - 1] >> 4
        if (this.expected < 0 || seq === this.expected) {
          this.take(data, at, count++)
          at += size
          continue
        }
        if (length - at < 2 * size) break
        if (this.confirmed(data, at)) {
          this.take(data, at, count++)
          at += size
          continue
        }
        // A valid CRC with the wrong number and no successor to vouch for it: bytes were lost mid-frame.
        this.synced = false
        this.skippedSinceLoss = 1
        skippedBytes++
        at++
        continue
      }
      if (length - at < 2 * size) break
      const valid = crc4Valid(data, at, size)
      if (valid && this.confirmed(data, at)) {
        this.synced = true
        this.take(data, at, count++)
        at += size
        continue
      }
      if (!valid && this.skippedSinceLoss % size === 0) crcFailures++
      this.skippedSinceLoss++
      skippedBytes++
      at++
    }

    this.tailLength = length - at
    this.tail.set(data.subarray(at, length), 0)
    return {
      count,
      sequence: this.sequence.subarray(0, count),
      digital: this.digital.subarray(0, count),
      analog: this.analog.subarray(0, count * this.channelCount),
      crcFailures,
      skippedBytes
    }
  }

  /** Whether the frame after the one at `at` passes its CRC and carries the next sequence number. */
  private confirmed(data: Uint8Array, at: number): boolean {
    const size = this.frameSize
    const next = at + size
    if (!crc4Valid(data, next, size)) return false
    return data[next + size - 1] >> 4 === ((data[at + size - 1] >> 4) + 1) % 16
  }

  private reserve(frames: number): void {
    if (this.sequence.length >= frames) return
    const capacity = Math.max(frames, 2 * this.sequence.length, 64)
    this.sequence = new Uint8Array(capacity)
    this.digital = new Uint8Array(capacity)
    this.analog = new Uint16Array(capacity * this.channelCount)
  }

  /** Unpacks the frame at `at` into slot `index`; the layout counts from the frame's end (live.c). */
  private take(data: Uint8Array, at: number, index: number): void {
    const end = at + this.frameSize
    const seq = data[end - 1] >> 4
    this.sequence[index] = seq
    this.digital[index] = data[end - 2] >> 4
    this.expected = (seq + 1) % 16
    const n = this.channelCount
    const out = index * n
    const analog = this.analog
    analog[out] = ((data[end - 2] & 0x0f) << 6) | (data[end - 3] >> 2)
    if (n > 1) analog[out + 1] = ((data[end - 3] & 0x03) << 8) | data[end - 4]
    if (n > 2) analog[out + 2] = (data[end - 5] << 2) | (data[end - 6] >> 6)
    if (n > 3) analog[out + 3] = ((data[end - 6] & 0x3f) << 4) | (data[end - 7] >> 4)
    if (n > 4) analog[out + 4] = ((data[end - 7] & 0x0f) << 2) | (data[end - 8] >> 6)
    if (n > 5) analog[out + 5] = data[end - 8] & 0x3f
  }
}
