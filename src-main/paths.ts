import { homedir } from 'node:os'
import { join } from 'node:path'

export const APP_FOLDER = 'emoheal-workstation'

/** The OS user-data folder, as Electron's app.getPath('userData') names it for this app. */
export function userDataDir(): string {
  if (process.env.EMOHEAL_USER_DATA) return process.env.EMOHEAL_USER_DATA
  if (process.platform === 'win32')
    return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_FOLDER)
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_FOLDER)
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_FOLDER)
}

export function defaultStudyPath(base = userDataDir()): string {
  return join(base, 'studies', 'default.emoheal-study')
}
