import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type {
  ReviewItemView,
  TrainingRunView,
  TrainProgress,
  TrainResultsView
} from '../../../src-main/ipc/contract'
import { call, onEvent } from '../api/client'
import { newForm, planOf, requestOf, type RunPlan, type TrainForm } from './train-form'

export { newForm, planOf, presetSummary, requestOf } from './train-form'
export type { RunPlan, TrainForm } from './train-form'

/** One point per finished epoch of one curve. */
export interface EpochPoint {
  epoch: number
  loss: number | null
  accuracy: number | null
  validationLoss: number | null
  validationAccuracy: number | null
}

/** A curve per fold and ensemble member, plus the final model's. */
export interface Curve {
  key: string
  title: string
  points: EpochPoint[]
}

function curveOf(progress: TrainProgress): { key: string; title: string } {
  if (progress.phase === 'final') return { key: 'final', title: 'final model' }
  const fold = (progress.fold ?? 0) + 1
  const member = (progress.member ?? 0) + 1
  const members = progress.members ?? 1
  return {
    key: `fold-${fold}-member-${member}`,
    title: members > 1 ? `fold ${fold} · model ${member}` : `fold ${fold}`
  }
}

/** Training runs of the open study: the form, the live run's curves and progress, and earlier runs' results. */
export const useTrainingStore = defineStore('training', () => {
  const form = ref<TrainForm>(newForm())
  const formTouched = ref(false)
  const runs = ref<TrainingRunView[]>([])
  const liveRunId = ref<number | null>(null)
  const progress = ref<TrainProgress | null>(null)
  const curves = ref<Curve[]>([])
  const selectedRunId = ref<number | null>(null)
  const review = ref<ReviewItemView[]>([])
  const minConfidence = ref(0.8)
  const plan = ref<RunPlan | null>(null)
  const startedMs = ref(0)
  const epochsDone = ref(0)

  /** Whole-run ETA from the pace so far; before the first epoch ends, the engine's estimate for the model. */
  const runEtaMs = computed(() => {
    // Read first so that every progress event (each batch) refreshes the estimate, not only finished epochs.
    const latest = progress.value
    const current = plan.value
    if (!current || epochsDone.value === 0) return latest?.etaMs ?? null
    const total = current.folds * current.members * current.epochs + (current.finalModel ? current.epochs : 0)
    const remaining = Math.max(0, total - epochsDone.value)
    return ((Date.now() - startedMs.value) / epochsDone.value) * remaining
  })

  const running = computed(() => liveRunId.value !== null)
  const selectedRun = computed(() => runs.value.find((run) => run.id === selectedRunId.value) ?? null)
  const selectedResults = computed(
    () => (selectedRun.value?.results ?? null) as unknown as TrainResultsView | null
  )
  const pointCount = computed(() => curves.value.reduce((sum, curve) => sum + curve.points.length, 0))

  async function loadRuns(): Promise<void> {
    runs.value = await call('runs.list', {})
    const live = runs.value.find((run) => run.status === 'running')
    if (live && liveRunId.value === null) liveRunId.value = live.id
    // A study that was trained before opens with its last preset; a new one keeps the paper preset.
    const last = runs.value[0]
    if (!formTouched.value && last && (last.config.preset === 'paper' || last.config.preset === 'native'))
      form.value.preset = last.config.preset
    if (selectedRunId.value === null) {
      const done = runs.value.find((run) => run.status === 'done')
      if (done) await openRun(done.id)
    }
  }

  async function loadReview(): Promise<void> {
    const run = selectedRun.value
    review.value =
      run && run.status === 'done'
        ? await call('review.list', { runId: run.id, minConfidence: minConfidence.value, limit: 50 })
        : []
  }

  async function openRun(runId: number): Promise<void> {
    selectedRunId.value = runId
    await loadReview()
  }

  async function start(
    sessionsOf: (participantId: number) => number[],
    participants: number
  ): Promise<number> {
    const { runId } = await call('train.start', requestOf(form.value, sessionsOf))
    liveRunId.value = runId
    progress.value = null
    curves.value = []
    plan.value = planOf(form.value, participants)
    startedMs.value = Date.now()
    epochsDone.value = 0
    await loadRuns()
    return runId
  }

  async function cancel(): Promise<void> {
    if (liveRunId.value === null) return
    await call('train.cancel', { runId: liveRunId.value })
  }

  function record(event: TrainProgress): void {
    if (liveRunId.value !== null && event.runId !== liveRunId.value) return
    if (
      liveRunId.value === null &&
      event.phase !== 'done' &&
      event.phase !== 'cancelled' &&
      event.phase !== 'failed'
    )
      liveRunId.value = event.runId
    progress.value = event
    if (event.epochDone && event.epoch !== null) {
      epochsDone.value += 1
      const { key, title } = curveOf(event)
      let curve = curves.value.find((candidate) => candidate.key === key)
      if (!curve) {
        curve = { key, title, points: [] }
        curves.value.push(curve)
      }
      curve.points.push({
        epoch: event.epoch + 1,
        loss: event.loss,
        accuracy: event.accuracy,
        validationLoss: event.validationLoss,
        validationAccuracy: event.validationAccuracy
      })
    }
    if (event.phase === 'done' || event.phase === 'cancelled' || event.phase === 'failed') {
      liveRunId.value = null
      plan.value = null
      void loadRuns().then(() => (event.phase === 'done' ? openRun(event.runId) : undefined))
    }
  }

  onEvent('train.progress', record)
  onEvent('study.changed', () => {
    runs.value = []
    selectedRunId.value = null
    review.value = []
    curves.value = []
    progress.value = null
    liveRunId.value = null
    formTouched.value = false
    form.value = newForm()
  })

  return {
    form,
    formTouched,
    runs,
    liveRunId,
    progress,
    curves,
    pointCount,
    plan,
    runEtaMs,
    running,
    selectedRunId,
    selectedRun,
    selectedResults,
    review,
    minConfidence,
    loadRuns,
    loadReview,
    openRun,
    start,
    cancel
  }
})
