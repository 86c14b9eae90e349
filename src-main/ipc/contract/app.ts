import { z } from 'zod'
import { defineCall } from './define'

export interface BackendChoiceInfo {
  name: string
  why: string
}

export interface AppInfo {
  version: string
  transport: 'electron' | 'serve'
  defaultStudyPath: string
  /** The engine's backend, once it has been chosen in this process (see app.backends). */
  backend: BackendChoiceInfo | null
}

export interface BackendsInfo {
  backends: { name: string; available: boolean; reason?: string; tensorflow?: string; devices?: string[] }[]
  chosen: BackendChoiceInfo
}

export const appCalls = {
  'app.info': defineCall<AppInfo>()(z.object({})),
  'app.backends': defineCall<BackendsInfo>()(z.object({}))
}
