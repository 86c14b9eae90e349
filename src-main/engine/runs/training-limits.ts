import { ValidationError } from '../../errors'
import { trainingLimits, type TrainRequest } from '../../ipc/contract/engine'
import { parseModelConfig } from '../model/build-model'
import { modelConfigSchema, paperChannels, type ModelConfig } from '../model/config'
import { resolveRun } from './run-training'

/** Weights of a config, estimated layer by layer as the model builders lay them out. */
export function estimatedParameters(config: ModelConfig): number {
  const groups = config.kind === 'paper' ? paperChannels.length : config.sensors.length
  const features = groups * config.filters
  // Two kernel-wide convolutions per block and about one filters x filters projection (residual, attention).
  const tcn = groups * config.dilations.length * (2 * config.kernelSize + 1) * config.filters ** 2
  const fusion = config.kind === 'paper' ? 2 * features * config.fusionUnits : 0
  const gruInput = Math.max(features, 2 * config.gruUnits)
  const gru = 2 * config.gruLayers * 3 * (gruInput + config.gruUnits + 2) * config.gruUnits
  return tcn + fusion + gru + 2 * config.gruUnits * config.classes
}

/** Activation elements of one window through the model, as trainingLimits.activations counts them. */
export function estimatedActivationsPerWindow(config: ModelConfig): number {
  const padding = (config.kernelSize - 1) * Math.max(...config.dilations)
  const branchSteps =
    config.kind === 'paper'
      ? new Array<number>(paperChannels.length).fill(config.steps)
      : config.sensors.map((sensor) => sensor.rateHz * config.windowSeconds)
  const tcn =
    branchSteps.reduce((sum, steps) => sum + steps + padding, 0) * config.filters * config.dilations.length
  const gruSteps = config.kind === 'paper' ? 1 : (config.fusionSteps ?? Math.min(...branchSteps))
  return tcn + gruSteps * 3 * config.gruUnits * 2 * config.gruLayers
}

/** The settings each preset's model takes from `model`; kind and windowSeconds come from the preset and windowMs. */
const modelKeys = {
  paper: Object.keys(modelConfigSchema.options[0].shape).filter((key) => key !== 'kind'),
  native: Object.keys(modelConfigSchema.options[1].shape).filter(
    (key) => key !== 'kind' && key !== 'windowSeconds'
  )
}

/**
 * What train.start checks before a run starts, with the model's own schema rather than a copy of it: the
 * overrides name real settings, the config the run will build (resolveRun, defaults filled) is valid, and its
 * estimated weights and activations fit trainingLimits. The contract has bounded each field already; these
 * are the checks that need the defaults. Every failure names its field under `model`.
 */
export function checkTrainingRequest(request: TrainRequest): void {
  const known = modelKeys[request.preset]
  const unknown = Object.keys(request.model ?? {}).find((key) => !known.includes(key))
  if (unknown !== undefined) {
    throw new ValidationError(
      `model.${unknown}: not a setting of the ${request.preset} model (${known.join(', ')})`,
      `model.${unknown}`
    )
  }
  let resolved: ReturnType<typeof resolveRun>
  try {
    resolved = resolveRun(request)
  } catch (error) {
    // The model schema names its field within the config; in the call, that field sits under model.
    if (error instanceof ValidationError && error.field && known.includes(error.field.split('.')[0]))
      throw new ValidationError(`model.${error.field}: ${error.message}`, `model.${error.field}`)
    throw error
  }
  // resolveRun has parsed it already; parsing again only gives it the parsed type (defaults filled in).
  const config = parseModelConfig(resolved.settings.modelConfig)
  const parameters = estimatedParameters(config)
  if (parameters > trainingLimits.parameters) {
    throw new ValidationError(
      `model: about ${parameters} parameters, more than one training call may build ` +
        `(${trainingLimits.parameters}); use fewer filters, blocks or units`,
      'model'
    )
  }
  const activations =
    resolved.jobs * resolved.settings.training.batchSize * estimatedActivationsPerWindow(config)
  if (activations > trainingLimits.activations) {
    throw new ValidationError(
      `model: jobs x batch size x window need about ${activations} activations per training step, more ` +
        `than one training call may hold (${trainingLimits.activations}); use a smaller batch, fewer jobs, ` +
        'shorter windows or a smaller model',
      'model'
    )
  }
}
