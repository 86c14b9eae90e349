import { FileFormatError } from '../../errors'
import { atLeast, versionText, type Version } from './schema'

export interface ImuParams {
  physicalMin: number
  physicalMax: number
  digitalMin: number
  digitalMax: number
  /** Schema 6.5 and later. */
  conversionFactor?: number
}

/**
 * Physical units per ADC count of an inertial sensor. Before schema 6.5 the factor is the physical range
 * over the digital range; from 6.5 on it is the file's conversionFactor, which Empatica rounds (0.000488
 * where the range gives 0.00048828), so the two rules are kept apart rather than one derived from the other.
 */
export function countScale(params: ImuParams, version: Version, file: string, field: string): number {
  if (atLeast(version, 6, 5)) {
    const factor = params.conversionFactor
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor === 0)
      throw new FileFormatError(
        file,
        `rawData.${field}.imuParams.conversionFactor is ${String(factor)}; schema ${versionText(version)} converts counts by it`
      )
    return factor
  }
  const digital = params.digitalMax - params.digitalMin
  const physical = params.physicalMax - params.physicalMin
  if (digital === 0 || physical === 0)
    throw new FileFormatError(
      file,
      `rawData.${field}.imuParams: digital range ${params.digitalMin}..${params.digitalMax}, physical ${params.physicalMin}..${params.physicalMax}; counts cannot be converted`
    )
  return physical / digital
}
