import { promises as fs } from 'node:fs'
import { FileFormatError, NotFoundError } from '../../errors'
import { predictWindows, type WindowPrediction } from '../../engine/inference/predict-windows'
import { requireString, stringOption, type CliCommand } from '../command'
import { isOnnxFile, predictOnnxWindows } from '../../engine/onnx/onnx-predictor'
import { chooseBackend } from '../study-option'
import { predictSessionFromCli } from './predict-session'

async function readJson(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError(`${file}: no such file`)
    throw error
  })
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new FileFormatError(file, `not JSON: ${(error as Error).message}`)
  }
}

export const predictCommand: CliCommand = {
  path: ['predict'],
  summary: 'class probabilities of a model (directory or exported ONNX file) for windows given as JSON',
  usage:
    'predict --model DIR|FILE.onnx (--input windows.json | --session ID --study FILE) [--backend B] [--json]',
  options: {
    model: { type: 'string' },
    input: { type: 'string' },
    backend: { type: 'string' },
    session: { type: 'string' }
  },
  async run(input) {
    if (stringOption(input.values, 'session') !== undefined) return predictSessionFromCli(input)
    const modelDir = requireString(input.values, 'model')
    const windows = await readJson(requireString(input.values, 'input'))
    // An exported ONNX file runs on ONNX Runtime, on raw per-stream windows: {"windows": [{"<stream>": ...}]}.
    if (isOnnxFile(modelDir))
      return { ok: true, runtime: 'onnxruntime', ...(await predictOnnxWindows(modelDir, windows)) }
    const backend = await chooseBackend(input)
    return { ok: true, backend, ...(await predictWindows(modelDir, windows)) }
  },
  format(result) {
    const r = result as WindowPrediction
    return r.probabilities
      .map(
        (row, index) => `${index}\t${r.predictedLabels[index]}\t${row.map((p) => p.toFixed(4)).join('\t')}`
      )
      .join('\n')
  }
}
