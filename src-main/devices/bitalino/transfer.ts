import type { BitalinoSensor } from '../../ipc/contract/record'

/**
 * Transfer functions of the BITalino (r)evolution sensors to physical units, after PLUX's biosignalsnotebooks
 * conversion.py and the sensor datasheets. `bits` is 10 for the first four acquired channels and 6 for the
 * 5th and 6th, whose values the firmware cuts to their upper 6 bits.
 */
export type AdcBits = 10 | 6

const VCC = 3.3
/** EDA sensor gain, µS per volt: 0 to 25 µS over 0 to VCC (EDA user manual, 2020). */
const EDA_GAIN = 0.132
const ECG_GAIN = 1100
const EMG_GAIN = 1009

/** EDA in µS. The older datasheet's -0.574 V offset is left out, as conversion.py's code does. */
export function edaMicrosiemens(adc: number, bits: AdcBits): number {
  return ((adc / 2 ** bits) * VCC) / EDA_GAIN
}

/** ECG in mV, ±1.5 mV around mid-scale. */
export function ecgMillivolts(adc: number, bits: AdcBits): number {
  return (((adc / 2 ** bits - 0.5) * VCC) / ECG_GAIN) * 1000
}

/** EMG in mV, ±1.64 mV around mid-scale. */
export function emgMillivolts(adc: number, bits: AdcBits): number {
  return (((adc / 2 ** bits - 0.5) * VCC) / EMG_GAIN) * 1000
}

/** An accelerometer axis's readings at -1 g and +1 g, found by turning the device slowly through 360°. */
export interface AccCalibration {
  min: number
  max: number
}

/** PLUX's default calibration, for devices nobody calibrated. */
export const DEFAULT_ACC_CALIBRATION: Record<AdcBits, AccCalibration> = {
  10: { min: 400, max: 608 },
  6: { min: 25, max: 38 }
}

/** Acceleration in g along the axis on this channel. */
export function accG(adc: number, bits: AdcBits, calibration = DEFAULT_ACC_CALIBRATION[bits]): number {
  return 2 * ((adc - calibration.min) / (calibration.max - calibration.min)) - 1
}

/**
 * ADC counts on the 10-bit scale: a 6-bit channel's value times 16, so one stream's channels share a scale
 * whichever frame position they came from. Used for `raw` channels and for PPG, which has no published
 * BITalino transfer function (PLUX's BVP for biosignalsplux is relative intensity, i.e. ADC over full scale).
 */
export function adcCounts(adc: number, bits: AdcBits): number {
  return adc * 2 ** (10 - bits)
}

/** The conversion for a sensor kind. */
export function transferFunction(sensor: BitalinoSensor): (adc: number, bits: AdcBits) => number {
  switch (sensor) {
    case 'eda':
      return edaMicrosiemens
    case 'ecg':
      return ecgMillivolts
    case 'emg':
      return emgMillivolts
    case 'acc':
      return (adc, bits) => accG(adc, bits)
    case 'ppg':
    case 'raw':
      return adcCounts
  }
}

/**
 * Every possible reading of a channel already converted (1024 or 64 entries), so that decoding 6000 values a
 * second costs an array lookup each.
 */
export function transferTable(sensor: BitalinoSensor, bits: AdcBits): Float32Array {
  const convert = transferFunction(sensor)
  const table = new Float32Array(2 ** bits)
  for (let adc = 0; adc < table.length; adc++) table[adc] = convert(adc, bits)
  return table
}
