export * from './config'
export { buildModel, parseModelConfig, type BuildModelOptions } from './build-model'
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
export { predictWindows, type WindowPrediction } from './predict-windows'
