import type { CliCommand } from '../command'
import { sessionsCommand, studyInitCommand, participantAddCommand, sessionAddCommand } from './studies'
import { serveCommand } from './serve'
import { modelImportTorchCommand, modelExportTorchCommand } from './model'
import { predictCommand } from './predict'
import { backendsCommand } from './backends'

/** Every command of `emoheal`. Each domain adds its own commands here. */
export const commands: CliCommand[] = [
  studyInitCommand,
  sessionsCommand,
  participantAddCommand,
  sessionAddCommand,
  serveCommand,
  backendsCommand,
  modelImportTorchCommand,
  modelExportTorchCommand,
  predictCommand
]
