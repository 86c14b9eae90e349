export {
  LiveInference,
  type LiveInferenceOptions,
  type LiveStreamInfo,
  type LiveTick
} from './live-inference'
export { LiveService, type LiveServiceOptions } from './live-service'
export { SampleRing } from './sample-ring'
export { systemClock, type LiveClock } from '../../devices/clock'
export { loadLiveModel } from './load'
export { DisplayDecimator, DISPLAY_HZ } from './decimate'
