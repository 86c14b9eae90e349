import { defineStore } from 'pinia'
import { ref } from 'vue'
import type {
  ExportFormat,
  LabelAgreement,
  LabelExport,
  LabelRevision,
  LabelSource,
  LabelTarget,
  SourceWeights,
  WindowTable
} from '../../../src-main/ipc/contract'
import { call } from '../api/client'

/** The Labels page's choice (session, source, target, threshold) and what main computed for it. */
export const useLabelsStore = defineStore('labels', () => {
  const sessionId = ref<number | null>(null)
  const source = ref<LabelSource>('external')
  const target = ref<LabelTarget>('arousal')
  // The EmoHeal paper's split: 1-2 low, 3-5 high. The training page uses the same default.
  const threshold = ref(2)
  const weights = ref<SourceWeights>({ self: 1, partner: 1, external: 1 })
  const table = ref<WindowTable | null>(null)
  const revisions = ref<LabelRevision[]>([])
  const agreement = ref<LabelAgreement | null>(null)
  const loading = ref(false)

  function choice() {
    if (sessionId.value === null) throw new Error('pick a session first')
    return {
      sessionId: sessionId.value,
      source: source.value,
      target: target.value,
      threshold: threshold.value,
      weights: source.value === 'weighted' ? { ...weights.value } : undefined
    }
  }

  async function loadWindows(): Promise<void> {
    if (sessionId.value === null) return
    table.value = await call('labels.windows', choice())
  }

  async function loadRevisions(): Promise<void> {
    if (sessionId.value === null) return
    revisions.value = await call('labels.revisions', { sessionId: sessionId.value })
  }

  async function loadAgreement(): Promise<void> {
    agreement.value = await call(
      'labels.agreement',
      sessionId.value === null ? {} : { sessionId: sessionId.value }
    )
  }

  async function load(): Promise<void> {
    if (sessionId.value === null) {
      table.value = null
      revisions.value = []
      return
    }
    loading.value = true
    try {
      await Promise.all([loadWindows(), loadRevisions(), loadAgreement()])
    } finally {
      loading.value = false
    }
  }

  async function correct(reportEndMs: number, value: number | null, reason: string): Promise<LabelRevision> {
    const { sessionId: id, source: from, weights: by, target: what } = choice()
    const revision = await call('labels.correct', {
      sessionId: id,
      target: what,
      reportEndMs,
      value,
      reason,
      source: from,
      weights: by
    })
    await Promise.all([loadWindows(), loadRevisions()])
    return revision
  }

  async function revert(revisionId: number, reason: string): Promise<LabelRevision> {
    const revision = await call('labels.revert', { revisionId, reason })
    await Promise.all([loadWindows(), loadRevisions()])
    return revision
  }

  /** The session's report-to-signal offset (the Annotate page's call): every window moves, corrections stay with their report. */
  async function setOffset(offsetMs: number): Promise<void> {
    if (sessionId.value === null) return
    await call('sessions.setAlignmentOffset', { id: sessionId.value, offsetMs })
    await loadWindows()
  }

  async function exportCsv(format: ExportFormat): Promise<LabelExport> {
    return call('labels.export', { ...choice(), format })
  }

  return {
    sessionId,
    source,
    target,
    threshold,
    weights,
    table,
    revisions,
    agreement,
    loading,
    load,
    loadWindows,
    correct,
    revert,
    setOffset,
    exportCsv
  }
})
