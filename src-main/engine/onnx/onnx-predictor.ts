import { promises as fs } from 'node:fs'
import path from 'node:path'
import type * as Ort from 'onnxruntime-node'
import { FileFormatError, NotFoundError, ValidationError } from '../../errors'
import type { StudyStore } from '../../store/study-store'
import { endTimesOf } from '../inference/session-inference'
import { sessionWindowsAt } from '../windows/extract'
import type { RawStream } from './model-graph'
import { readOnnxMetadata } from './onnx-proto'

/**
 * An exported ONNX file run by ONNX Runtime (onnxruntime-node, loaded only when a file is opened): its streams,
 * labels and window length read from the file's own metadata, so that nothing but the file is needed.
 */
export interface OnnxFileModel {
  file: string
  metadata: Record<string, string>
  streams: RawStream[]
  labels: string[]
  windowMs: number
  /** Probabilities per window; each window holds one row-major [samples, channels] array per stream. */
  predict(windows: Float32Array[][]): Promise<number[][]>
  release(): Promise<void>
}

export async function loadOrt(): Promise<typeof Ort> {
  try {
    return await import('onnxruntime-node')
  } catch (error) {
    throw new NotFoundError(
      `ONNX Runtime (onnxruntime-node) does not load here: ${(error as Error).message.split('\n')[0]}`
    )
  }
}

export function isOnnxFile(file: string): boolean {
  return file.toLowerCase().endsWith('.onnx')
}

export async function loadOnnxFile(
  file: string,
  options: Ort.InferenceSession.SessionOptions = {}
): Promise<OnnxFileModel> {
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError(`${file}: no such file`)
    throw error
  })
  let metadata: Record<string, string>
  try {
    metadata = readOnnxMetadata(bytes)
  } catch (error) {
    throw new FileFormatError(file, `not an ONNX model: ${(error as Error).message}`)
  }
  if (!metadata['emoheal.inputs'])
    throw new FileFormatError(
      file,
      'has no emoheal.inputs metadata: not written by emoheal model export-onnx'
    )
  const streams = JSON.parse(metadata['emoheal.inputs']) as RawStream[]
  const labels = JSON.parse(metadata['emoheal.labels'] ?? '[]') as string[]
  const windowMs = Number(metadata['emoheal.window_seconds']) * 1000
  const ort = await loadOrt()
  let session: Ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(bytes, {
      logSeverityLevel: 3,
      // The uint8 files' weights are dequantized once at load instead of at every run (as fast as float32).
      extra: { session: { disable_quant_qdq: '1' } },
      ...options
    })
  } catch (error) {
    throw new FileFormatError(file, `ONNX Runtime cannot load it: ${(error as Error).message.split('\n')[0]}`)
  }
  return {
    file: path.resolve(file),
    metadata,
    streams,
    labels,
    windowMs,
    async predict(windows) {
      if (windows.length === 0) return []
      const feeds = Object.fromEntries(
        streams.map((stream, s) => {
          const size = stream.samples * stream.channels
          const data = new Float32Array(windows.length * size)
          windows.forEach((window, i) => data.set(window[s], i * size))
          return [
            stream.name,
            new ort.Tensor('float32', data, [windows.length, stream.samples, stream.channels])
          ]
        })
      )
      const out = await session.run(feeds, ['probabilities'])
      const probabilities = out.probabilities.data as Float32Array
      const classes = probabilities.length / windows.length
      return windows.map((_, i) => Array.from(probabilities.subarray(i * classes, (i + 1) * classes)))
    },
    release: () => session.release()
  }
}

/**
 * Windows given as JSON for an ONNX file: {"windows": [{"<stream>": [[v, ...] x samples], ...}, ...]}, each
 * stream's samples at its rate over the window. Every error names the window, stream and row.
 */
export function validateRawWindows(input: unknown, streams: RawStream[]): Float32Array[][] {
  const windows = (input as { windows?: unknown } | null)?.windows
  if (!Array.isArray(windows) || windows.length === 0)
    throw new ValidationError('input must be {"windows": [...]} with at least one window', 'windows')
  return windows.map((window, index) => {
    if (typeof window !== 'object' || window === null || Array.isArray(window))
      throw new ValidationError(
        `windows[${index}] must be an object of streams (${streams.map((s) => s.name).join(', ')})`,
        'windows'
      )
    return streams.map((stream) => {
      const rows = (window as Record<string, unknown>)[stream.name]
      const where = `windows[${index}].${stream.name}`
      if (!Array.isArray(rows) || rows.length !== stream.samples)
        throw new ValidationError(
          `${where} must hold ${stream.samples} samples (${stream.rateHz} Hz over the window), got ${Array.isArray(rows) ? rows.length : typeof rows}`,
          'windows'
        )
      const data = new Float32Array(stream.samples * stream.channels)
      rows.forEach((row: unknown, k) => {
        const values = Array.isArray(row) ? row : [row]
        if (values.length !== stream.channels)
          throw new ValidationError(`${where}[${k}] must hold ${stream.channels} values`, 'windows')
        values.forEach((value: unknown, c) => {
          if (typeof value !== 'number' || !Number.isFinite(value))
            throw new ValidationError(`${where}[${k}][${c}] is not a finite number`, 'windows')
          data[k * stream.channels + c] = value
        })
      })
      return data
    })
  })
}

export interface OnnxWindowPrediction {
  file: string
  probabilities: number[][]
  predicted: number[]
  labels: string[]
  predictedLabels: string[]
  streams: string[]
  windows: number
}

function labelled(model: OnnxFileModel, probabilities: number[][]): OnnxWindowPrediction {
  const predicted = probabilities.map((row) => row.indexOf(Math.max(...row)))
  return {
    file: model.file,
    probabilities,
    predicted,
    labels: model.labels,
    predictedLabels: predicted.map((index) => model.labels[index] ?? String(index)),
    streams: model.streams.map((stream) => stream.name),
    windows: probabilities.length
  }
}

export async function predictOnnxWindows(file: string, input: unknown): Promise<OnnxWindowPrediction> {
  const model = await loadOnnxFile(file)
  try {
    return labelled(model, await model.predict(validateRawWindows(input, model.streams)))
  } finally {
    await model.release()
  }
}

/** Per-window probabilities of an ONNX file over a recorded session, cut by the same code as training. */
export async function predictOnnxSession(file: string, study: StudyStore, sessionId: number) {
  const model = await loadOnnxFile(file)
  try {
    const sensors = model.streams.map((stream) => ({
      name: stream.name,
      rateHz: stream.rateHz,
      channels: stream.channels
    }))
    const options = {
      preset: 'native' as const,
      target: 'arousal' as const,
      labelSource: 'external' as const,
      threshold: 2,
      windowMs: model.windowMs,
      points: 20,
      sensors
    }
    const windows = sessionWindowsAt(
      study,
      sessionId,
      endTimesOf(
        study,
        sessionId,
        model.windowMs,
        sensors.map((sensor) => sensor.name)
      ),
      options
    )
    const usable = windows.flatMap((window) =>
      typeof window.inputs === 'string' ? [] : [{ endMs: window.endMs, inputs: window.inputs }]
    )
    const probabilities = await model.predict(usable.map((window) => window.inputs))
    return {
      file: model.file,
      sessionId,
      windows: usable.length,
      skipped: windows.length - usable.length,
      predictions: usable.map((window, i) => ({ windowEndMs: window.endMs, probabilities: probabilities[i] }))
    }
  } finally {
    await model.release()
  }
}
