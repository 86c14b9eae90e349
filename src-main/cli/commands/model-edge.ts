import { APP_VERSION } from '../../app-setup'
import { exportEdgeBundle, type EdgeBundleResult } from '../../engine/onnx/edge-bundle'
import { modelDirectories } from './model-onnx'
import { ValidationError } from '../../errors'
import { requireString, stringOption, type CliCommand } from '../command'
import { chooseBackend, openStudyFromArgs } from '../study-option'

function percent(value: number | null): string {
  return value === null ? '-' : `${(100 * value).toFixed(2)}%`
}

export const modelExportEdgeCommand: CliCommand = {
  path: ['model', 'export-edge'],
  summary: 'write an edge bundle: ONNX float32/float16/uint8 files, a model card and a runnable example',
  usage:
    'model export-edge --model DIR [--model DIR ...] --out DIR [--participant CODE] [--study FILE] [--backend B] [--json]',
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
    if (stringOption(input.values, 'dtype') !== undefined)
      throw new ValidationError(
        'the edge bundle holds float32, float16 and uint8 ONNX files; for one file of one dtype use "model export-onnx --dtype"',
        'dtype'
      )
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
  },
  format(value) {
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
}
