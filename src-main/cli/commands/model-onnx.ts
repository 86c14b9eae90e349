import { APP_VERSION } from '../../app-setup'
import { exportOnnx, type OnnxExportResult } from '../../engine/onnx/export-onnx'
import { onnxDtypes, type OnnxDtype } from '../../engine/onnx/model-graph'
import { ValidationError } from '../../errors'
import { requireString, stringOption, type CliCommand } from '../command'

/** --model given once or several times (an ensemble whose logits the graph averages). */
export function modelDirectories(values: Record<string, unknown>): string[] {
  const given = values.model
  const directories = (Array.isArray(given) ? given : given === undefined ? [] : [given]).filter(
    (value): value is string => typeof value === 'string' && value !== ''
  )
  if (directories.length === 0) throw new ValidationError('--model is required', 'model')
  return directories
}

export const modelExportOnnxCommand: CliCommand = {
  path: ['model', 'export-onnx'],
  summary: 'write a model (or an ensemble) as one ONNX file that takes raw sensor windows',
  usage:
    'model export-onnx --model DIR [--model DIR ...] --out FILE.onnx [--dtype float32|float16|uint8] [--participant CODE] [--json]',
  options: {
    model: { type: 'string', multiple: true },
    out: { type: 'string' },
    dtype: { type: 'string' },
    participant: { type: 'string' }
  },
  async run(input) {
    const directories = modelDirectories(input.values)
    const out = requireString(input.values, 'out')
    const dtype = stringOption(input.values, 'dtype') ?? 'float32'
    if (!(onnxDtypes as readonly string[]).includes(dtype))
      throw new ValidationError(`--dtype must be one of ${onnxDtypes.join(', ')}, got "${dtype}"`, 'dtype')
    const result = await exportOnnx(directories, out, {
      dtype: dtype as OnnxDtype,
      participant: stringOption(input.values, 'participant'),
      appVersion: APP_VERSION
    })
    return { ok: true, ...result }
  },
  format(value) {
    const r = value as OnnxExportResult
    const inputs = r.streams
      .map((stream) => `${stream.name} [batch, ${stream.samples}, ${stream.channels}] at ${stream.rateHz} Hz`)
      .join('; ')
    return [
      `${r.dtype} ONNX (${r.preset}${r.members > 1 ? `, ensemble of ${r.members}` : ''}) -> ${r.file}`,
      `size: ${r.bytes.toLocaleString('en')} bytes, ${r.nodes} nodes, opset 17`,
      `inputs: ${inputs}`,
      `outputs: logits, probabilities [batch, ${r.labels.length}] (${r.labels.join(', ')})`,
      ...(r.dtype === 'uint8' ? [`largest weight error: ${r.maxWeightError.toExponential(2)}`] : [])
    ].join('\n')
  }
}
