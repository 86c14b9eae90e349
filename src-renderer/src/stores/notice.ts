import { defineStore } from 'pinia'
import { ref } from 'vue'

/** The one place errors and confirmations are shown to the user. */
export const useNoticeStore = defineStore('notice', () => {
  const message = ref<{ kind: 'error' | 'info'; text: string } | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined

  function show(kind: 'error' | 'info', text: string): void {
    message.value = { kind, text }
    clearTimeout(timer)
    if (kind === 'info') timer = setTimeout(() => (message.value = null), 4000)
  }

  /** Runs an action and reports its failure instead of letting it vanish in the console. */
  async function guard<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action()
    } catch (error) {
      show('error', (error as Error).message)
      return undefined
    }
  }

  return { message, show, guard, clear: () => (message.value = null) }
})
