import { edgeDtypes, exportEdgeModel, type EdgeDtype, type EdgeExportResult } from '../../engine/edge-export'
import { ValidationError } from '../../errors'
import { requireString, stringOption, type CliCommand } from '../command'
import { chooseBackend, openStudyFromArgs } from '../study-option'

function percent(value: number | null): string {
  return value === null ? '-' : `${(100 * value).toFixed(2)}%`
}

export const modelExportEdgeCommand: CliCommand = {
  path: ['model', 'export-edge'],
  summary: 'write a model with float16 or uint8 weights, with its size and the accuracy change',
  usage:
    'model export-edge --model DIR --out DIR --dtype float16|uint8 [--study FILE] [--backend B] [--json]',
  options: {
    model: { type: 'string' },
    out: { type: 'string' },
    dtype: { type: 'string' },
    backend: { type: 'string' }
  },
  async run(input) {
    const modelDir = requireString(input.values, 'model')
    const out = requireString(input.values, 'out')
    const dtype = requireString(input.values, 'dtype')
    if (!(edgeDtypes as readonly string[]).includes(dtype)) {
      throw new ValidationError(`--dtype must be one of ${edgeDtypes.join(', ')}, got "${dtype}"`, 'dtype')
    }
    const backend = await chooseBackend(input)
    // Only an explicit --study is read: without one the comparison runs on random windows.
    const study = stringOption(input.values, 'study') !== undefined ? openStudyFromArgs(input) : undefined
    try {
      const result = await exportEdgeModel(modelDir, out, { dtype: dtype as EdgeDtype, study })
      return { ok: true, backend: backend.name, ...result }
    } finally {
      study?.close()
    }
  },
  format(value) {
    const result = value as EdgeExportResult
    const { size, evaluation } = result
    const lines = [
      `${result.dtype} model -> ${result.modelDir}`,
      `size: ${size.edgeBytes.toLocaleString('en')} bytes (float32: ${size.sourceBytes.toLocaleString('en')}; ` +
        `${(100 * size.ratio).toFixed(1)}%), weights ${size.edgeWeightBytes.toLocaleString('en')} bytes`,
      `largest weight error: ${result.weightError.max.toExponential(2)} (${result.weightError.weight ?? '-'})`,
      `on ${evaluation.description}: agreement ${percent(evaluation.agreement)}, ` +
        `largest probability change ${evaluation.maxProbabilityDifference.toExponential(2)}`
    ]
    if (evaluation.accuracyChange !== null) {
      lines.push(
        `accuracy: float32 ${percent(evaluation.float32Accuracy)}, ${result.dtype} ${percent(evaluation.edgeAccuracy)} ` +
          `(change ${evaluation.accuracyChange >= 0 ? '+' : ''}${(100 * evaluation.accuracyChange).toFixed(2)} points)`
      )
    }
    return lines.join('\n')
  }
}
