import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ModelView, PredictionView } from '../../../src-main/ipc/contract'
import { call, onEvent } from '../api/client'

/** Probability of the high class per window end (signal time), from the active model of each target. */
export interface WindowPredictions {
  arousal: Map<number, number>
  valence: Map<number, number>
}

/** The study's model registry: list, activate, import and export PyTorch weights, predict sessions. */
export const useModelsStore = defineStore('models', () => {
  const models = ref<ModelView[]>([])
  const compareIds = ref<number[]>([])

  const active = computed(() => ({
    arousal: models.value.find((model) => model.active && model.target === 'arousal') ?? null,
    valence: models.value.find((model) => model.active && model.target === 'valence') ?? null
  }))

  async function load(): Promise<void> {
    models.value = await call('models.list', {})
    compareIds.value = compareIds.value.filter((id) => models.value.some((model) => model.id === id))
  }

  async function activate(id: number): Promise<ModelView> {
    const model = await call('models.activate', { id })
    await load()
    return model
  }

  async function importTorch(file: string, name: string): Promise<ModelView & { tensorsRead: number }> {
    const model = await call('models.importTorch', { file, preset: 'paper', name: name || undefined })
    await load()
    return model
  }

  async function exportTorch(id: number, file: string) {
    return call('models.exportTorch', { id, file })
  }

  async function exportOnnx(id: number, file: string, dtype: 'float32' | 'float16' | 'uint8') {
    return call('models.exportOnnx', { id, file, dtype })
  }

  async function predictSession(sessionId: number, modelId: number) {
    return call('predict.session', { sessionId, modelId })
  }

  /** Stored predictions of the active models for one session (empty maps where there are none). */
  async function windowPredictions(sessionId: number): Promise<WindowPredictions> {
    if (models.value.length === 0) await load()
    const rows: PredictionView[] = await call('predictions.list', { sessionId })
    const pick = (model: ModelView | null) =>
      new Map(
        rows
          .filter((row) => model !== null && row.modelId === model.id && row.target === model.target)
          .map((row) => [row.windowEndMs, row.probabilities[1] ?? Number.NaN])
      )
    return { arousal: pick(active.value.arousal), valence: pick(active.value.valence) }
  }

  onEvent('study.changed', () => {
    models.value = []
    compareIds.value = []
  })

  return {
    models,
    compareIds,
    active,
    load,
    activate,
    importTorch,
    exportTorch,
    exportOnnx,
    predictSession,
    windowPredictions
  }
})
