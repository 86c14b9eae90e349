/**
 * Built and run by bench/onnx.mjs. One-window latency (median and p10-p90 of `--calls` calls, result read back)
 * of the published EmoHeal with the PyTorch peer's weights, imported as the app imports them: ONNX Runtime on
 * our exported file (float32, float16, uint8; raw per-stream windows in), the whole-model TensorFlow function of
 * live prediction (createGraphPredictor), and ONNX Runtime on the PyTorch-exported file where the peer wrote
 * one. Prints one JSON object on stdout.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { useBackend } from '../src-main/engine/runtime/backend'
import { loadModel } from '../src-main/engine/registry/model-files'
import { createGraphPredictor } from '../src-main/engine/inference/graph-predictor'
import { exportOnnx } from '../src-main/engine/onnx/export-onnx'
import { onnxDtypes } from '../src-main/engine/onnx/model-graph'
import { importTorchModel } from '../src-main/engine/torch'

const { values } = parseArgs({
  options: {
    work: { type: 'string' },
    threads: { type: 'string' },
    calls: { type: 'string' },
    'torch-onnx': { type: 'string' }
  },
  strict: true
})
// Not --dir: node-pre-gyp, which loads tfjs-node, reads process.argv and takes --dir as its own.
const dir = values.work as string
const threads = Number(values.threads ?? 1)
const calls = Number(values.calls ?? 500)

function timed(fn: () => Promise<unknown> | unknown) {
  return async () => {
    for (let i = 0; i < 30; i++) await fn()
    const times: number[] = []
    for (let i = 0; i < calls; i++) {
      const start = performance.now()
      await fn()
      times.push(performance.now() - start)
    }
    times.sort((a, b) => a - b)
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]
    return { medianMs: at(0.5), p10: at(0.1), p90: at(0.9) }
  }
}

const sessionOptions: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3
}

async function main(): Promise<void> {
  const backend = await useBackend('auto')
  process.stderr.write(`[bench onnx] tfjs backend: ${backend.name} (${backend.why})\n`)
  const modelDir = path.join(dir, 'imported')
  await importTorchModel(path.join(dir, 'weights.safetensors'), modelDir, { preset: 'paper' })
  const rows: Record<string, unknown>[] = []
  for (const dtype of onnxDtypes) {
    const file = path.join(dir, `ours-${dtype}.onnx`)
    const result = await exportOnnx([modelDir], file, { dtype, appVersion: 'bench' })
    const session = await ort.InferenceSession.create(file, sessionOptions)
    const feeds = Object.fromEntries(
      result.streams.map((stream) => [
        stream.name,
        new ort.Tensor(
          'float32',
          Float32Array.from({ length: stream.samples * stream.channels }, (_, i) => Math.sin(i) * 2),
          [1, stream.samples, stream.channels]
        )
      ])
    )
    const figures = await timed(async () => (await session.run(feeds)).probabilities.data)()
    rows.push({
      runtime: `onnxruntime, our file (${dtype}, raw streams in)`,
      bytes: result.bytes,
      ...figures
    })
    if (dtype === 'uint8') {
      // ONNX Runtime keeps DequantizeLinear for quantized kernels unless told to fold it at load.
      const folded = await ort.InferenceSession.create(file, {
        ...sessionOptions,
        extra: { session: { disable_quant_qdq: '1' } }
      })
      const foldedFigures = await timed(async () => (await folded.run(feeds)).probabilities.data)()
      rows.push({
        runtime: 'onnxruntime, our file (uint8, session.disable_quant_qdq=1)',
        bytes: result.bytes,
        ...foldedFigures
      })
    }
  }
  if (values['torch-onnx']) {
    const file = values['torch-onnx']
    const session = await ort.InferenceSession.create(file, sessionOptions)
    const input = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 100 }, (_, i) => Math.sin(i) * 2),
      [1, 20, 5]
    )
    const figures = await timed(
      async () => (await session.run({ [session.inputNames[0]]: input }))[session.outputNames[0]].data
    )()
    rows.push({
      runtime: 'onnxruntime, PyTorch-exported file (float32, [1, 20, 5] in)',
      bytes: (await fs.stat(file)).size,
      ...figures
    })
  }
  if (backend.name === 'tensorflow') {
    const { model } = await loadModel(modelDir)
    const predict = createGraphPredictor(model)
    if (predict) {
      const window = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i) * 2)
      rows.push({
        runtime: 'tensorflow whole-model function (createGraphPredictor)',
        bytes: null,
        ...(await timed(() => predict(window))())
      })
    }
  }
  console.log(JSON.stringify({ threads, calls, ortVersion: ort.env.versions.common, rows }))
}

void main()
