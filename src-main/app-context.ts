import { EventEmitter } from 'node:events'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConflictError, EmohealError } from './errors'
import type { EventName, Events } from './ipc/contract'
import { recoverAbandonedWork } from './store/recovery'
import { StudyStore } from './store/study-store'

export interface AppContextOptions {
  /** Where a study is created when none is given (the OS user-data folder). */
  defaultStudyPath: string
  transport: 'electron' | 'serve' | 'cli'
  /** better-sqlite3 build for this runtime, where it differs from the Node one (Electron). */
  sqliteBinding?: string
  version: string
}

/**
 * What every service handler gets: the open study and a way to tell the renderers. Built once per
 * process by its entry (Electron, serve, CLI) and passed in; it knows nothing of the transport.
 */
export class AppContext {
  private current: StudyStore | null = null
  private readonly emitter = new EventEmitter()
  private readonly closeGuards: (() => string | null)[] = []

  constructor(readonly options: AppContextOptions) {
    this.emitter.setMaxListeners(100)
  }

  get hasStudy(): boolean {
    return this.current !== null
  }

  study(): StudyStore {
    if (!this.current) throw new EmohealError('no study is open: create or open one first', 'study')
    return this.current
  }

  /**
   * A service that must not lose the open study (a recording writing to it) says why here; while it
   * returns a reason, opening another study is refused with it.
   */
  addStudyCloseGuard(guard: () => string | null): void {
    this.closeGuards.push(guard)
  }

  openStudy(path: string, create = false, name?: string): StudyStore {
    for (const guard of this.closeGuards) {
      const reason = guard()
      if (reason) throw new ConflictError(reason, 'path')
    }
    if (create && existsSync(path) && statSync(path).size > 0) {
      throw new ConflictError(`${path} already exists: open it instead of creating it`, 'path')
    }
    if (create) mkdirSync(dirname(path), { recursive: true })
    const next = new StudyStore(path, { create, name, nativeBinding: this.options.sqliteBinding })
    recoverAbandonedWork(next.db)
    this.current?.close()
    this.current = next
    this.emit('study.changed', { path })
    return next
  }

  close(): void {
    this.current?.close()
    this.current = null
  }

  emit<N extends EventName>(name: N, payload: Events[N]): void {
    this.emitter.emit('event', name, payload)
  }

  onEvent(listener: <N extends EventName>(name: N, payload: Events[N]) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}
