import { ValidationError } from '../../errors'
import {
  exportTorchModel,
  importTorchModel,
  type ExportTorchResult,
  type ImportTorchResult
} from '../../engine/torch'
import { importTorchIntoRegistry } from '../../engine/torch/torch-registry'
import { requireString, stringOption, type CliCommand } from '../command'
import { chooseBackend, withStudy } from '../study-option'

export const modelImportTorchCommand: CliCommand = {
  path: ['model', 'import-torch'],
  summary: 'import a PyTorch state_dict (safetensors or .pt, published EmoHeal names) as a model directory',
  usage:
    'model import-torch FILE.safetensors|FILE.pt --preset paper ' +
    '(--out DIR | --study FILE [--out DIR] [--name NAME]) [--backend B] [--json]',
  options: {
    preset: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
    backend: { type: 'string' }
  },
  positionals: true,
  async run(input) {
    const [file, ...extra] = input.positionals
    if (!file) throw new ValidationError('the state_dict FILE (.safetensors or .pt) is required', 'file')
    if (extra.length > 0) throw new ValidationError(`unexpected argument "${extra[0]}"`, 'file')
    const preset = stringOption(input.values, 'preset') ?? 'paper'
    if (preset !== 'paper') throw new ValidationError(`--preset must be paper, got "${preset}"`, 'preset')
    // With --study the model lands in that study's registry (its directory beside the study unless --out).
    const registering = stringOption(input.values, 'study') !== undefined
    const out = registering ? stringOption(input.values, 'out') : requireString(input.values, 'out')
    const name = stringOption(input.values, 'name')
    const backend = await chooseBackend(input)
    const { result, modelId } = registering
      ? await withStudy(input, false, async (study) => {
          const imported = await importTorchIntoRegistry(study, file, { preset, name, outDir: out })
          return { result: imported.result, modelId: imported.model.id }
        })
      : { result: await importTorchModel(file, out!, { preset }), modelId: null }
    return {
      ok: true,
      modelDir: result.modelDir,
      modelId,
      preset: result.preset,
      parameterCount: result.parameterCount,
      tensorsRead: result.tensorsRead,
      backend
    }
  },
  format(result) {
    const r = result as Pick<ImportTorchResult, 'modelDir' | 'parameterCount' | 'tensorsRead'> & {
      modelId: number | null
    }
    const registered = r.modelId === null ? '' : ` (registered as model ${r.modelId})`
    return `imported ${r.tensorsRead} tensors, ${r.parameterCount.toLocaleString('en')} parameters -> ${r.modelDir}${registered}`
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
    const backend = await chooseBackend(input)
    return { ok: true, ...(await exportTorchModel(modelDir, out)), backend }
  },
  format(result) {
    const r = result as ExportTorchResult
    return `wrote ${r.tensorsWritten} tensors, ${r.parameterCount.toLocaleString('en')} parameters -> ${r.file}`
  }
}
