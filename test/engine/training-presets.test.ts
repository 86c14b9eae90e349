import { describe, expect, test } from 'vitest'
import { trainRequestSchema } from '../../src-main/ipc/contract/engine'
import { defaultKFolds, groupFoldCount, trainingPresets } from '../../src-main/ipc/contract/presets'
import { resolveRun } from '../../src-main/engine/runs/run-training'
import { newForm, planOf, presetSummary } from '../../src-renderer/src/stores/train-form'

describe('the presets are defined once, in the contract', () => {
  test.each(['paper', 'native'] as const)('the engine resolves a bare %s request to them', (preset) => {
    const defaults = trainingPresets[preset]
    const run = resolveRun(trainRequestSchema.parse({ preset }))
    expect(run.protocol).toBe(defaults.protocol)
    expect(run.windows).toMatchObject({
      labelSource: defaults.labelSource,
      threshold: defaults.threshold,
      windowMs: defaults.windowMs
    })
    expect(run.settings).toMatchObject({
      ensemble: defaults.ensemble,
      normalize: defaults.normalize,
      classWeighting: defaults.classWeighting,
      validationFraction: defaults.validationFraction
    })
    expect(run.settings.training).toMatchObject({
      epochs: defaults.epochs,
      batchSize: defaults.batchSize,
      learningRate: defaults.learningRate,
      weightDecay: defaults.weightDecay,
      earlyStoppingPatience: defaults.patience,
      restoreBest: defaults.restoreBest
    })
  })

  test('the published and native-rate presets differ where the paper and our design do', () => {
    expect(trainingPresets.paper).toMatchObject({
      protocol: 'groups',
      epochs: 150,
      ensemble: 5,
      normalize: false
    })
    expect(trainingPresets.native).toMatchObject({
      protocol: 'loso',
      epochs: 60,
      ensemble: 1,
      normalize: true
    })
  })

  test("the Train page's plan and summary of a blank form are the preset's", () => {
    const paper = newForm()
    expect(planOf(paper, 9)).toEqual({
      folds: groupFoldCount,
      members: trainingPresets.paper.ensemble,
      epochs: trainingPresets.paper.epochs,
      finalModel: true
    })
    const native = { ...newForm(), preset: 'native' as const }
    // LOSO: one fold per participant.
    expect(planOf(native, 9)).toMatchObject({ folds: 9, members: 1, epochs: trainingPresets.native.epochs })
    expect(planOf({ ...native, protocol: 'kfold' }, 9).folds).toBe(defaultKFolds)
    expect(planOf({ ...native, epochs: 7, ensemble: 3 }, 9)).toMatchObject({ epochs: 7, members: 3 })
    expect(presetSummary('paper')).toContain(`${trainingPresets.paper.epochs} epochs`)
    expect(presetSummary('paper')).toContain(`${trainingPresets.paper.ensemble}-model ensembles`)
    expect(presetSummary('native')).toContain('per-participant z-scores')
    expect(presetSummary('native')).toContain('LOSO')
  })
})
