import type { CliCommand } from '../command'
import { sessionsCommand, studyInitCommand, participantAddCommand, sessionAddCommand } from './studies'
import { serveCommand } from './serve'
import { modelImportTorchCommand, modelExportTorchCommand } from './model'
import { modelExportEdgeCommand } from './model-edge'
import { modelExportOnnxCommand } from './model-onnx'
import { predictCommand } from './predict'
import { trainCommand } from './train'
import { trainPlanCommands } from './train-plan'
import { backendsCommand } from './backends'
import { labelCommands } from './labels'
import { featuresCommand } from './features'

import { importKemoconCommand, importE4Command, importCsvCommand, importEmbracePlusCommand } from './import'
import { synthCommand } from './synth'
import { exportBdfCommand, exportCsvCommand, exportEdfCommand, exportKemoconCommand } from './export'
import { devicesCommand, recordCommand } from './record'

/** Every command of `emoheal`. Each domain adds its own commands here. */
export const commands: CliCommand[] = [
  importKemoconCommand,
  importE4Command,
  importEmbracePlusCommand,
  importCsvCommand,
  synthCommand,
  exportKemoconCommand,
  exportCsvCommand,
  exportEdfCommand,
  exportBdfCommand,
  devicesCommand,
  recordCommand,
  studyInitCommand,
  sessionsCommand,
  participantAddCommand,
  sessionAddCommand,
  serveCommand,
  backendsCommand,
  modelImportTorchCommand,
  modelExportTorchCommand,
  modelExportEdgeCommand,
  modelExportOnnxCommand,
  predictCommand,
  trainCommand,
  ...trainPlanCommands,
  ...labelCommands,
  featuresCommand
]
