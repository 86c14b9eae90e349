import { z } from 'zod'
import { defineCall } from './define'

export interface AppInfo {
  version: string
  transport: 'electron' | 'serve'
  defaultStudyPath: string
  backend: { name: string; why: string } | null
}

export const appCalls = {
  'app.info': defineCall<AppInfo>()(z.object({}))
}
