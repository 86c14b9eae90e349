import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Participant, Session, StudyInfo } from '../../../src-main/ipc/contract'
import { call, onEvent } from '../api/client'

export const useStudyStore = defineStore('study', () => {
  const info = ref<StudyInfo | null>(null)
  const participants = ref<Participant[]>([])
  const sessions = ref<Session[]>([])
  const loading = ref(false)

  const sessionsByParticipant = computed(() => {
    const map = new Map<number, Session[]>()
    for (const session of sessions.value) {
      const list = map.get(session.participantId) ?? []
      list.push(session)
      map.set(session.participantId, list)
    }
    return map
  })

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      info.value = await call('study.current', {})
      if (info.value) {
        participants.value = await call('participants.list', {})
        sessions.value = await call('sessions.list', {})
      } else {
        participants.value = []
        sessions.value = []
      }
    } finally {
      loading.value = false
    }
  }

  async function open(path: string): Promise<void> {
    await call('study.open', { path })
    await refresh()
  }

  async function create(path: string, name: string): Promise<void> {
    await call('study.create', { path, name })
    await refresh()
  }

  async function rename(name: string, description: string): Promise<void> {
    info.value = await call('study.update', { name, description })
  }

  async function addParticipant(code: string, notes: string): Promise<Participant> {
    const participant = await call('participants.create', { code, notes })
    await refresh()
    return participant
  }

  async function updateParticipant(id: number, code: string, notes: string): Promise<void> {
    await call('participants.update', { id, code, notes })
    await refresh()
  }

  async function removeParticipant(id: number): Promise<void> {
    await call('participants.delete', { id })
    await refresh()
  }

  async function addSession(input: {
    participantId: number
    name: string
    startMs: number
    timezone: string
    notes: string
  }): Promise<Session> {
    const session = await call('sessions.create', { ...input, durationMs: null })
    await refresh()
    return session
  }

  async function updateSession(input: Session): Promise<void> {
    const { id, participantId, name, startMs, timezone, durationMs, notes } = input
    await call('sessions.update', { id, participantId, name, startMs, timezone, durationMs, notes })
    await refresh()
  }

  async function removeSession(id: number): Promise<void> {
    await call('sessions.delete', { id })
    await refresh()
  }

  onEvent('study.changed', () => void refresh())

  return {
    info,
    participants,
    sessions,
    loading,
    sessionsByParticipant,
    refresh,
    open,
    create,
    rename,
    addParticipant,
    updateParticipant,
    removeParticipant,
    addSession,
    updateSession,
    removeSession
  }
})
