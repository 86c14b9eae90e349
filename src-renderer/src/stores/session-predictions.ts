import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { PredictionView } from '../../../src-main/ipc/contract'
import { call } from '../api/client'
import { modelsWithPredictions, modelTrack, shownModels } from '../viewer/model-track'
import { useModelsStore } from './models'

/** The stored model predictions of the session open on the Annotate page, and which model's are shown. */
export const useSessionPredictionsStore = defineStore('session-predictions', () => {
  const models = useModelsStore()
  const sessionId = ref<number | null>(null)
  const rows = shallowRef<PredictionView[]>([])
  /** A model picked by hand; null shows the active models. */
  const chosenId = ref<number | null>(null)
  const predicting = ref(false)

  const available = computed(() => modelsWithPredictions(models.models, rows.value))
  const shown = computed(() => shownModels(models.models, rows.value, chosenId.value))
  const track = computed(() => modelTrack(rows.value, shown.value))
  const activeModels = computed(() =>
    [models.active.arousal, models.active.valence].filter((model) => model !== null)
  )

  async function load(id: number): Promise<void> {
    sessionId.value = id
    rows.value = []
    await models.load()
    const loaded = await call('predictions.list', { sessionId: id })
    // Another session may have been opened meanwhile.
    if (sessionId.value === id) rows.value = loaded
  }

  function clear(): void {
    sessionId.value = null
    rows.value = []
  }

  /** Runs the given models over the session, then reloads what was stored. */
  async function predict(modelIds: number[]): Promise<number> {
    const id = sessionId.value
    if (id === null) return 0
    predicting.value = true
    try {
      let windows = 0
      for (const modelId of modelIds) {
        windows += (await call('predict.session', { sessionId: id, modelId })).windows
      }
      await load(id)
      return windows
    } finally {
      predicting.value = false
    }
  }

  return {
    sessionId,
    rows,
    chosenId,
    predicting,
    available,
    shown,
    track,
    activeModels,
    load,
    clear,
    predict
  }
})
