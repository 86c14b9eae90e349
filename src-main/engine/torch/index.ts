export { readSafetensors, writeSafetensors, type NamedTensor, type SafetensorsDtype } from './safetensors'
export {
  paperTorchPlacements,
  importPaperWeights,
  exportPaperWeights,
  type TorchPlacement
} from './paper-names'
export {
  importTorchModel,
  exportTorchModel,
  paperLabels,
  type ImportTorchOptions,
  type ImportTorchResult,
  type ExportTorchResult
} from './torch-model-files'
