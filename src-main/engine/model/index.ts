export * from './config'
export { buildModel, parseModelConfig } from './build-model'
export type { BuildModelOptions, ModelLayers } from './model-layers'
export { buildPaperModel, paperLayerNames } from './paper-model'
export {
  buildNativeRateModel,
  branchGroups,
  fusionSteps,
  nativeRateInputShapes,
  sensorSteps
} from './native-rate-model'
export { logitsModel } from './logits'
export { countTrainingStepKernels, countInferenceKernels, type KernelCount } from './kernel-count'
export { validateWindows, type WindowsInput } from './window-input'
