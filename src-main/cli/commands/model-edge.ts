import { APP_VERSION } from '../../app-setup'
import { exportEdgeBundle, type EdgeBundleResult } from '../../engine/onnx/edge-bundle'
import { modelDirectories } from './model-onnx'
import {
  edgeDtypes,
  exportEdgeModel,
  type EdgeDtype,
  type EdgeExportResult
} from '../../engine/edge/edge-export'
import { ValidationError } from '../../errors'
import { requireString, stringOption, type CliCommand } from '../command'
import { chooseBackend, openStudyFromArgs } from '../study-option'

function percent(value: number | null): string {
  return value === null ? '-' : `${(100 * value).toFixed(2)}%`
}

export const modelExportEdgeCommand: CliCommand = {
  path: ['model', 'export-edge'],
  summary:
    'write an edge bundle (ONNX float32/float16/uint8, model card, a runnable example), or with --dtype a tfjs model with float16 or uint8 weights',
  usage:
    'model export-edge --model DIR [--model DIR ...] --out DIR [--dtype float16|uint8] [--participant CODE] [--study FILE] [--backend B] [--json]',
  options: {
    model: { type: 'string', multiple: true },
    out: { type: 'string' },
    dtype: { type: 'string' },
    participant: { type: 'string' },
    backend: { type: 'string' }
  },
  async run(input) {
    const directories = modelDirectories(input.values)
    const out = requireString(input.values, 'out')
    const dtype = stringOption(input.values, 'dtype')
    if (dtype === undefined) {
      // The edge bundle: ONNX files any ONNX Runtime loads, evaluated on the study's windows where one is given.
      await chooseBackend(input)
      const study = stringOption(input.values, 'study') !== undefined ? openStudyFromArgs(input) : undefined
      try {
        const bundle = await exportEdgeBundle(directories, out, {
          appVersion: APP_VERSION,
          participant: stringOption(input.values, 'participant'),
          study
        })
        return { ok: true, kind: 'bundle', ...bundle }
      } finally {
        study?.close()
      }
    }
    if (directories.length > 1)
      throw new ValidationError('--dtype exports one tfjs model: give one --model', 'model')
    const modelDir = directories[0]
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
    if ((value as { kind?: string }).kind === 'bundle') {
      const bundle = value as EdgeBundleResult
      return [
        `edge bundle (${bundle.preset}${bundle.members > 1 ? `, ensemble of ${bundle.members}` : ''}) -> ${bundle.directory}`,
        ...bundle.variants.map(
          (v) =>
            `${v.file}: ${v.bytes.toLocaleString('en')} bytes, largest probability change ${v.maxProbabilityChange.toExponential(2)}, ` +
            `same class ${percent(v.agreement)}${v.accuracy === null ? '' : `, accuracy ${percent(v.accuracy)}`}`
        ),
        `measured on ${bundle.evaluation.description}`,
        `files: ${bundle.files.join(', ')}`
      ].join('\n')
    }
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
