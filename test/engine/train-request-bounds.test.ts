import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { AppContext } from '../../src-main/app-context'
import { parseModelConfig } from '../../src-main/engine/model/build-model'
import { buildModel } from '../../src-main/engine/model'
import { dispatch } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { trainRequestSchema, trainingLimits } from '../../src-main/ipc/contract/engine'
import {
  checkTrainingRequest,
  estimatedActivationsPerWindow,
  estimatedParameters
} from '../../src-main/engine/runs/training-limits'
import { ValidationError } from '../../src-main/errors'
import { createServices } from '../../src-main/services/app-services'

/**
 * The field train.start refuses a request by, or null when it would start: first the contract (each field's
 * bound), then the engine's check with the model's schema (unknown settings, the config, the aggregates).
 */
function refusedField(request: Record<string, unknown>): string | null {
  const parsed = trainRequestSchema.safeParse(request)
  if (!parsed.success) return parsed.error.issues[0].path.map(String).join('.') || '(argument)'
  try {
    checkTrainingRequest(parsed.data)
    return null
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    expect(error.message).toContain(error.field)
    return error.field ?? '(argument)'
  }
}

const bvpAt1kHz = { name: 'bvp', rateHz: 1000, channels: 1 }

describe('training requests are bounded in the contract', () => {
  beforeAll(() => useBackend('wasm'))

  test('both presets as published, and real variations of them, pass', () => {
    const accepted: Record<string, unknown>[] = [
      { preset: 'paper' },
      { preset: 'native' },
      { preset: 'paper', model: { filters: 8, fusionUnits: 16, gruUnits: 8, gruLayers: 1 } },
      {
        preset: 'paper',
        model: { steps: 40, filters: 64, gruUnits: 128, dilations: [1, 2, 4, 8] },
        ensemble: 10
      },
      { preset: 'paper', epochs: 500, batchSize: 512, jobs: 8, learningRate: 1e-2, patience: 50 },
      {
        preset: 'native',
        windowMs: 10_000,
        model: { sensors: [bvpAt1kHz, { name: 'eda', rateHz: 4, channels: 1 }], filters: 32 },
        jobs: 2
      },
      {
        preset: 'native',
        model: {
          sensors: [
            ...['bvp', 'eda', 'temp'].map((name) => ({ name, rateHz: 4, channels: 1 })),
            { name: 'hr', rateHz: 1, channels: 1 }
          ],
          attention: 'in-block',
          gruLayers: 2
        }
      },
      { preset: 'native', protocol: 'kfold', folds: 10 }
    ]
    for (const request of accepted) expect(refusedField(request), JSON.stringify(request)).toBeNull()
  })

  test('the estimates are close to what the builders make and far below the bounds for the presets', () => {
    const paper = parseModelConfig({ kind: 'paper' })
    const model = buildModel(paper)
    const real = model.countParams()
    model.dispose()
    expect(real).toBe(213_811)
    expect(Math.abs(estimatedParameters(paper) - real) / real).toBeLessThan(0.1)
    const native = parseModelConfig({ kind: 'native-rate' })
    for (const config of [paper, native]) {
      expect(estimatedParameters(config) * 20).toBeLessThan(trainingLimits.parameters)
      expect(32 * estimatedActivationsPerWindow(config) * 100).toBeLessThan(trainingLimits.activations)
    }
  })

  const refused: [string, Record<string, unknown>, string][] = [
    ['epochs', { epochs: 1_000_000 }, 'epochs'],
    ['batch size', { batchSize: 100_000 }, 'batchSize'],
    ['ensemble size', { ensemble: 1000 }, 'ensemble'],
    ['folds', { protocol: 'kfold', folds: 10_000 }, 'folds'],
    ['window length', { windowMs: 3_600_000 }, 'windowMs'],
    ['learning rate', { learningRate: 50 }, 'learningRate'],
    ['weight decay', { weightDecay: 10 }, 'weightDecay'],
    ['patience', { patience: 1e9 }, 'patience'],
    ['jobs', { jobs: 1000 }, 'jobs'],
    ['session list', { sessionIds: Array.from({ length: 20_000 }, (_, i) => i + 1) }, 'sessionIds'],
    ['filters', { model: { filters: 100_000 } }, 'model.filters'],
    ['fusion units', { model: { fusionUnits: 1e7 } }, 'model.fusionUnits'],
    ['GRU units', { model: { gruUnits: 1e6 } }, 'model.gruUnits'],
    ['GRU layers', { model: { gruLayers: 500 } }, 'model.gruLayers'],
    ['steps', { model: { steps: 1e8 } }, 'model.steps'],
    ['kernel size', { model: { kernelSize: 4096 } }, 'model.kernelSize'],
    ['a dilation', { model: { dilations: [1, 2, 1e9] } }, 'model.dilations.2'],
    ['the block count', { model: { dilations: new Array(100).fill(1) } }, 'model.dilations'],
    ['classes', { model: { classes: 1e6 } }, 'model.classes'],
    [
      'a sensor rate',
      { preset: 'native', model: { sensors: [{ name: 'bvp', rateHz: 1e6, channels: 1 }] } },
      'model.sensors.0.rateHz'
    ],
    [
      'sensor channels',
      { preset: 'native', model: { sensors: [{ name: 'acc', rateHz: 32, channels: 1e5 }] } },
      'model.sensors.0.channels'
    ],
    [
      'the sensor count',
      {
        preset: 'native',
        model: { sensors: Array.from({ length: 100 }, (_, i) => ({ name: `s${i}`, rateHz: 4, channels: 1 })) }
      },
      'model.sensors'
    ],
    ['fusion steps', { preset: 'native', model: { fusionSteps: 1e9 } }, 'model.fusionSteps'],
    // Each field within bounds, the model too large together.
    [
      'the parameter count',
      { model: { filters: 256, kernelSize: 16, dilations: new Array(12).fill(1) } },
      'model'
    ],
    [
      'activations of jobs x batch x window',
      {
        preset: 'native',
        windowMs: 60_000,
        model: { sensors: [bvpAt1kHz], filters: 256 },
        batchSize: 4096,
        jobs: 16
      },
      'model'
    ],
    // What the model's own schema refuses is refused by the call, not later by a run failing in its worker.
    ['a config the model schema refuses', { model: { filters: -3 } }, 'model.filters'],
    ['a misspelt setting', { model: { filter: 8 } }, 'model.filter'],
    ['a setting of the other preset', { preset: 'native', model: { fusionUnits: 64 } }, 'model.fusionUnits']
  ]
  for (const [what, request, field] of refused) {
    test(`too large ${what} is refused, naming ${field}`, () => {
      expect(refusedField(request)).toBe(field)
    })
  }

  test('each field bound is in the contract: its schema alone refuses it, naming the field', () => {
    const parsed = trainRequestSchema.safeParse({ model: { filters: 100_000, dilations: [1, 1e9] } })
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'model.filters',
      'model.dilations.1'
    ])
  })

  describe('through the IPC dispatch', () => {
    const context = new AppContext({ defaultStudyPath: '/nonexistent', transport: 'serve', version: 'test' })
    const handlers = createHandlers(createServices(context))
    afterAll(() => context.close())

    test('train.start refuses an oversized model with a ValidationError naming the field, before anything runs', async () => {
      const outcome = await dispatch(handlers, context, 'train.start', { model: { gruUnits: 1e6 } })
      expect(outcome).toMatchObject({
        ok: false,
        error: { name: 'ValidationError', field: 'model.gruUnits' }
      })
      if (!outcome.ok)
        expect(outcome.error.message).toMatch(
          /train\.start: model\.gruUnits: 1000000 is more than 512, the most one training call may ask for/
        )
    })

    test('a request within bounds gets past validation (and fails only for want of a study)', async () => {
      const outcome = await dispatch(handlers, context, 'train.start', { model: { filters: 8 } })
      expect(outcome).toMatchObject({
        ok: false,
        error: { message: 'no study is open: create or open one first' }
      })
    })
  })
})
