import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { FileFormatError } from '../../src-main/errors'
import { manifestWindowsOf, readModelManifest } from '../../src-main/engine/registry/model-files'
import { parseModelConfig } from '../../src-main/engine/model/build-model'
import { registerModelDirectory } from '../../src-main/engine/registry/model-registry'
import { normalizationFor, windowOptionsOf } from '../../src-main/engine/inference/session-inference'
import { ModelStore } from '../../src-main/store/model-store'
import { StudyStore } from '../../src-main/store/study-store'

const root = mkdtempSync(path.join(tmpdir(), 'emoheal-manifest-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const stats = [{ mean: [70, 2, 33, 0, 1], std: [9, 0.5, 1, 40, 0.2] }]
const ownStats = [{ mean: [80, 3, 34, 0, 1], std: [8, 0.4, 1, 30, 0.3] }]
const pooled = {
  count: 40,
  accuracy: 0.6,
  balancedAccuracy: 0.58,
  macroF1: 0.57,
  weightedF1: 0.59,
  auc: null,
  confusion: [
    [10, 8],
    [8, 14]
  ]
}

/** A manifest as the trainer wrote it before `windows` had a field of its own: inside `metrics`. */
function oldManifest(): Record<string, unknown> {
  return {
    format: 'emoheal-model',
    version: 1,
    createdAt: '2026-05-01T10:00:00.000Z',
    config: parseModelConfig({ kind: 'paper' }),
    parameterCount: 213_811,
    labels: ['low', 'high'],
    inputChannels: ['hr', 'eda', 'temp', 'bvp', 'acc_mag'],
    normalization: { kind: 'participant-z-score', participants: { P07: ownStats }, pooled: stats },
    sensorRates: { eda: 4, bvp: 64 },
    trainingDataHash: 'abc',
    metrics: {
      protocol: 'loso',
      accuracy: { mean: 0.6, sd: 0.1 },
      weightedF1: { mean: 0.59, sd: 0.1 },
      majorityAccuracy: { mean: 0.55, sd: 0.05 },
      pooled,
      windows: { target: 'valence', labelSource: 'self', threshold: 3, windowMs: 8000, preset: 'paper' },
      finalModel: {
        epochsRun: 12,
        bestEpoch: 9,
        stoppedEarly: true,
        restoredBest: false,
        windowsPerSecond: 500,
        finalLoss: 0.6,
        finalValidationLoss: null,
        trainedOn: 40,
        ensembleMembers: 1
      }
    },
    source: 'trained'
  }
}

function writeManifest(name: string, manifest: unknown): string {
  const directory = path.join(root, name)
  mkdirSync(directory, { recursive: true })
  writeFileSync(path.join(directory, 'manifest.json'), JSON.stringify(manifest, null, 2))
  return directory
}

describe('the model manifest', () => {
  test('an old manifest with the window settings inside metrics reads as the new one', async () => {
    const old = oldManifest()
    const directory = writeManifest('old', old)
    const manifest = await readModelManifest(directory)
    expect(manifest.windows).toEqual({
      target: 'valence',
      labelSource: 'self',
      threshold: 3,
      windowMs: 8000,
      preset: 'paper'
    })
    expect(manifest.metrics).not.toHaveProperty('windows')
    expect(manifest.metrics?.pooled).toEqual(pooled)
    expect(manifest.metrics?.finalModel?.epochsRun).toBe(12)
    // Prediction cuts the windows it was trained on, and scales a known participant by their own statistics.
    expect(windowOptionsOf(manifest)).toMatchObject({
      target: 'valence',
      labelSource: 'self',
      threshold: 3,
      windowMs: 8000,
      points: 20
    })
    expect(normalizationFor(manifest, 'P07')).toEqual(ownStats)
    expect(normalizationFor(manifest, 'P99')).toEqual(stats)

    // Written in the new form, the same model reads the same.
    const { metrics, ...rest } = old
    const { windows, ...others } = metrics as Record<string, unknown>
    const current = await readModelManifest(writeManifest('new', { ...rest, windows, metrics: others }))
    expect(current).toEqual(manifest)
  })

  test('a model that records no windows takes the paper defaults', async () => {
    const { metrics: _metrics, ...bare } = oldManifest()
    const manifest = await readModelManifest(writeManifest('bare', { ...bare, normalization: null }))
    expect(manifest.windows).toBeUndefined()
    expect(manifest.metrics).toBeNull()
    expect(manifestWindowsOf(manifest)).toEqual({
      target: 'arousal',
      labelSource: 'external',
      threshold: 2,
      windowMs: 5000
    })
    expect(normalizationFor(manifest, 'P07')).toBeNull()
  })

  test('a bad field is refused with the file and the field named', async () => {
    const cases: [string, (manifest: Record<string, unknown>) => void, RegExp][] = [
      [
        'normalization',
        (manifest) => {
          manifest.normalization = { kind: 'participant-z-score', participants: {}, pooled: [{ mean: 'x' }] }
        },
        /field normalization\.pooled\.0\.mean: /
      ],
      [
        'windows',
        (manifest) => {
          ;(manifest.metrics as Record<string, unknown>).windows = { target: 'dominance', windowMs: 5000 }
        },
        /field windows\.target: /
      ],
      [
        'metrics',
        (manifest) => {
          ;(manifest.metrics as Record<string, unknown>).accuracy = 0.7
        },
        /field metrics\.accuracy: /
      ]
    ]
    for (const [name, spoil, field] of cases) {
      const manifest = oldManifest()
      spoil(manifest)
      const directory = writeManifest(`bad-${name}`, manifest)
      const reading = readModelManifest(directory)
      await expect(reading, name).rejects.toBeInstanceOf(FileFormatError)
      await expect(reading, name).rejects.toThrow(field)
      await expect(reading, name).rejects.toThrow(path.join(directory, 'manifest.json'))
    }
  })

  test('the registry entry of a model is read from its manifest, its window settings kept beside the metrics', async () => {
    const manifest = await readModelManifest(writeManifest('registered', oldManifest()))
    const study = new StudyStore(path.join(root, 'registry.emoheal-study'), { create: true })
    try {
      const store = new ModelStore(study.db)
      const model = registerModelDirectory(store, '/models/old', manifest, { runId: 4 })
      expect(model).toMatchObject({
        name: 'paper valence (run 4)',
        preset: 'paper',
        target: 'valence',
        metrics: { protocol: 'loso', parameterCount: 213_811, source: 'trained', windows: manifest.windows }
      })
      const named = registerModelDirectory(store, '/models/old', manifest, { importedFrom: 'w.pt' }, ' mine ')
      expect(named.name).toBe('mine')
    } finally {
      study.close()
    }
  })
})
