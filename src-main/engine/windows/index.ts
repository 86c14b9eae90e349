export * from './types'
export {
  extractWindows,
  sessionWindowsAt,
  windowInputsAt,
  windowStreamNames,
  inputShapesOf,
  defaultWindowOptions,
  type LoadedStream
} from './extract'
export {
  fitNormalization,
  applyNormalization,
  normalizeInputs,
  type NormalizationStats,
  type ChannelStats
} from './normalize'
export { resampleByIndex, resampleToGrid, coverage, gapTolerance } from './resample'
export { sessionLabels } from './labels'
