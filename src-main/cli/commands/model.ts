import { ValidationError } from '../../errors'
import { ensureInferenceBackend } from '../../engine/model/inference-backend'
import {
  exportTorchModel,
  importTorchModel,
  type ExportTorchResult,
  type ImportTorchResult
} from '../../engine/torch'
import { requireString, stringOption, type CliCommand } from '../command'

export const modelImportTorchCommand: CliCommand = {
  path: ['model', 'import-torch'],
  summary: 'import a PyTorch state_dict (safetensors, published EmoHeal names) as a model directory',
  usage: 'model import-torch FILE.safetensors --preset paper --out DIR [--backend B] [--json]',
  options: { preset: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' } },
  positionals: true,
  async run(input) {
    const [file, ...extra] = input.positionals
    if (!file) throw new ValidationError('the safetensors FILE is required', 'file')
    if (extra.length > 0) throw new ValidationError(`unexpected argument "${extra[0]}"`, 'file')
    const preset = stringOption(input.values, 'preset') ?? 'paper'
    if (preset !== 'paper') throw new ValidationError(`--preset must be paper, got "${preset}"`, 'preset')
    const out = requireString(input.values, 'out')
    const backend = await ensureInferenceBackend(stringOption(input.values, 'backend'))
    const result = await importTorchModel(file, out, { preset })
    return {
      ok: true,
      modelDir: result.modelDir,
      preset: result.preset,
      parameterCount: result.parameterCount,
      tensorsRead: result.tensorsRead,
      backend
    }
  },
  format(result) {
    const r = result as Pick<ImportTorchResult, 'modelDir' | 'parameterCount' | 'tensorsRead'>
    return `imported ${r.tensorsRead} tensors, ${r.parameterCount.toLocaleString('en')} parameters -> ${r.modelDir}`
  }
}

export const modelExportTorchCommand: CliCommand = {
  path: ['model', 'export-torch'],
  summary: 'write a paper model as a PyTorch state_dict (safetensors) under the published names',
  usage: 'model export-torch --model DIR --out FILE.safetensors [--backend B] [--json]',
  options: { model: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' } },
  async run(input) {
    const modelDir = requireString(input.values, 'model')
    const out = requireString(input.values, 'out')
    const backend = await ensureInferenceBackend(stringOption(input.values, 'backend'))
    return { ok: true, ...(await exportTorchModel(modelDir, out)), backend }
  },
  format(result) {
    const r = result as ExportTorchResult
    return `wrote ${r.tensorsWritten} tensors, ${r.parameterCount.toLocaleString('en')} parameters -> ${r.file}`
  }
}
