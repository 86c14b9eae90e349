/// <reference types="electron-vite/node" />
import { app, BrowserWindow, session, shell, webContents } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createApp } from './app-setup'
import { runServiceOf } from './engine/handlers'
import { attachElectronIpc } from './ipc/electron-adapter'
import { CONTENT_SECURITY_POLICY } from './serve/security'
// electron-vite turns this into the icon's path relative to the built file (resources/ beside out/).
import icon from '../resources/icon.png?asset'

/** better-sqlite3 is not N-API: Electron loads the build made for its ABI, kept beside the Node one. */
function electronSqliteBinding(): string | undefined {
  const candidate = join(
    __dirname,
    '..',
    '..',
    'node_modules',
    'better-sqlite3',
    'build-electron',
    'better_sqlite3.node'
  )
  return existsSync(candidate) ? candidate : undefined
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'EmoHeal Workstation',
    icon,
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true
    }
  })
  window.once('ready-to-show', () => window.show())
  // External links open in the system browser; the app window never navigates away.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void window.loadFile(join(__dirname, '../renderer/index.html'))
  return window
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] }
    })
  })
  const studyArgument = process.argv.find((arg) => arg.startsWith('--study='))
  const { context, services, handlers } = createApp({
    transport: 'electron',
    defaultStudyPath: join(app.getPath('userData'), 'studies', 'default.emoheal-study'),
    studyPath: studyArgument?.slice('--study='.length),
    sqliteBinding: electronSqliteBinding()
  })
  attachElectronIpc(context, handlers, () => webContents.getAllWebContents())
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
  // Cancel training workers before the study closes, so each run is recorded as cancelled, not left running.
  let quitting = false
  app.on('will-quit', (event) => {
    if (quitting) return
    quitting = true
    event.preventDefault()
    void services.recording
      .stop()
      .then(() => runServiceOf(context).stopAll())
      .then(() => services.signals.close())
      .finally(() => {
        context.close()
        app.quit()
      })
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
