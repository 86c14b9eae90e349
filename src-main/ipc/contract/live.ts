import { z } from 'zod'
import { defineCall } from './define'

const id = z.number().int().positive()

export const liveSourceSchema = z.enum(['simulator'])
export type LiveSourceKind = z.infer<typeof liveSourceSchema>

export interface LiveStreamView {
  name: string
  unit: string
  rateHz: number
  channels: string[]
}

export interface LiveModelView {
  id: number
  name: string
  preset: string
  target: string
  /** Length of the window each prediction looks at. */
  windowMs: number
  /** The streams the model reads. */
  streams: string[]
  /** How one window is classified: the whole model as one TensorFlow function, on ONNX Runtime, or by model.predict. */
  predictor: 'tensorflow function' | 'onnxruntime' | 'model.predict'
}

export interface LiveTickBase {
  liveId: number
  /** The window is [endMs - windowMs, endMs). */
  endMs: number
  modelId: number
  target: string
}

/** One second's result: the class probabilities of the window ending then, or why there are none. */
export type LiveTickView =
  | (LiveTickBase & { kind: 'prediction'; probabilities: number[] })
  | (LiveTickBase & { kind: 'skip'; reason: 'warming-up' | 'gap' | 'error'; message: string })

export interface LiveStatusView {
  running: boolean
  /** Changes with every start, so that a renderer can drop events of an earlier run. */
  liveId: number | null
  /** The simulator streaming on its own, or a recording's devices. */
  source: LiveSourceKind | 'recording' | null
  startedMs: number | null
  model: LiveModelView | null
  streams: LiveStreamView[]
  /** Samples a second the renderer is sent at most per stream (faster streams are decimated). */
  displayHz: number
  predictions: number
  skips: number
  last: LiveTickView | null
  /** Why the last run stopped when it was not asked to (the study changed, the source failed); else null. */
  stoppedBecause: string | null
  /** Whether the samples are being recorded into the study (a recording feeds this run), or only shown. */
  recording: boolean
}

/** New samples of every stream since the last batch, decimated for display: times in epoch ms, values interleaved. */
export interface LiveSamplesEvent {
  liveId: number
  streams: { name: string; times: number[]; values: number[] }[]
}

export const liveCalls = {
  'live.start': defineCall<LiveStatusView>()(
    z.object({
      source: liveSourceSchema.default('simulator'),
      /** Default: the active model (the active arousal model where there are several). */
      modelId: id.optional()
    })
  ),
  'live.stop': defineCall<LiveStatusView>()(z.object({})),
  'live.status': defineCall<LiveStatusView>()(z.object({}))
}
