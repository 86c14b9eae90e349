import { z } from 'zod'

/** The channels of the published input, in the published order (acc_mag = sqrt(x² + y² + z²)). */
export const paperChannels = ['hr', 'eda', 'temp', 'bvp', 'acc_mag'] as const

/** The published EmoHeal ("TCN+CA-SA+GRU"): 213,811 parameters with these defaults. */
export const paperModelSchema = z.object({
  kind: z.literal('paper'),
  /** Points per channel of each 5-s segment (linear resampling). */
  steps: z.number().int().positive().default(20),
  filters: z.number().int().positive().default(25),
  kernelSize: z.number().int().positive().default(2),
  dilations: z.array(z.number().int().positive()).min(1).default([1, 2, 4]),
  dropout: z.number().min(0).max(0.95).default(0.2),
  attentionReduction: z.number().int().positive().default(16),
  fusionUnits: z.number().int().positive().default(128),
  gruUnits: z.number().int().positive().default(64),
  gruLayers: z.number().int().positive().default(2),
  finalDropout: z.number().min(0).max(0.95).default(0.3),
  classes: z.number().int().min(2).default(2)
})

export const sensorSchema = z.object({
  /** Input name, e.g. bvp, eda, temp, acc, hr. */
  name: z.string().regex(/^[a-z][a-z0-9_]*$/),
  rateHz: z.number().positive(),
  channels: z.number().int().positive()
})

export const defaultSensors: z.infer<typeof sensorSchema>[] = [
  { name: 'bvp', rateHz: 64, channels: 1 },
  { name: 'eda', rateHz: 4, channels: 1 },
  { name: 'temp', rateHz: 4, channels: 1 },
  { name: 'acc', rateHz: 32, channels: 3 }
]

/** Heart rate (1 Hz) is optional: add this sensor to the list to use it. */
export const heartRateSensor: z.infer<typeof sensorSchema> = { name: 'hr', rateHz: 1, channels: 1 }

/** Our native-rate design: one TCN branch per sensor at its own rate over the whole window, fused by a BiGRU. */
export const nativeRateModelSchema = z.object({
  kind: z.literal('native-rate'),
  windowSeconds: z.number().positive().default(5),
  sensors: z.array(sensorSchema).min(1).default(defaultSensors),
  /** Common length every branch is average-pooled to; default: the shortest branch. */
  fusionSteps: z.number().int().positive().optional(),
  filters: z.number().int().positive().default(16),
  kernelSize: z.number().int().positive().default(3),
  dilations: z.array(z.number().int().positive()).min(1).default([1, 2, 4, 8]),
  dropout: z.number().min(0).max(0.95).default(0.2),
  /** Where channel + spatial attention sits: after each branch's TCN, inside every block, or nowhere. */
  attention: z.enum(['after-tcn', 'in-block', 'none']).default('after-tcn'),
  attentionReduction: z.number().int().positive().default(16),
  gruUnits: z.number().int().positive().default(32),
  gruLayers: z.number().int().positive().default(1),
  finalDropout: z.number().min(0).max(0.95).default(0.3),
  classes: z.number().int().min(2).default(2)
})

export const modelConfigSchema = z.discriminatedUnion('kind', [paperModelSchema, nativeRateModelSchema])

export type PaperModelConfig = z.infer<typeof paperModelSchema>
export type NativeRateModelConfig = z.infer<typeof nativeRateModelSchema>
export type ModelConfig = z.infer<typeof modelConfigSchema>
export type ModelConfigInput = z.input<typeof modelConfigSchema>
export type Sensor = z.infer<typeof sensorSchema>
