import { writeFileSync } from 'node:fs'
import { buildModel, parseModelConfig, type PaperModelConfig } from '../../src-main/engine/model'
import { exportPaperWeights, writeSafetensors } from '../../src-main/engine/torch'

/** Writes the weights of a freshly built paper model, as the published PyTorch code names them, to `file`. */
export function writePaperSafetensors(file: string, seed: number): void {
  const config = parseModelConfig({ kind: 'paper' }) as PaperModelConfig
  const model = buildModel(config, { seed })
  try {
    writeFileSync(file, writeSafetensors(exportPaperWeights(model, config)))
  } finally {
    model.dispose()
  }
}
