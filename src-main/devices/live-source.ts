/** A stream a live source delivers, described as the study would store it. */
export interface SourceStream {
  name: string
  unit: string
  rateHz: number
  channels: string[]
}

/** New samples of one stream: epoch-ms times, values interleaved by channel. */
export interface SampleChunk {
  stream: string
  times: Float64Array
  values: Float32Array
}

/**
 * Anything that streams samples in real time: the built-in simulator now, serial wristbands later. It calls
 * the sink with the samples that arrived since its last call, a few times a second.
 */
export interface LiveSource {
  readonly kind: string
  readonly streams: SourceStream[]
  start(sink: (chunks: SampleChunk[]) => void): void
  stop(): void
}
