// `npm start`: the Electron workstation where Electron's binary is installed, otherwise the same
// renderer served to a browser by `emoheal serve`, with the reason printed.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildElectronSqlite } from './electron-sqlite.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const passThrough = process.argv.slice(2)

if (
  !existsSync(join(root, 'out', 'main', 'cli.js')) ||
  !existsSync(join(root, 'out', 'renderer', 'index.html'))
) {
  console.log('[emoheal] building the app (first start)')
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    {
      cwd: root,
      stdio: 'inherit'
    }
  )
  if (build.status !== 0) process.exit(build.status ?? 1)
}

function electronBinary() {
  try {
    // The electron package exports the path of its binary and throws when the binary was never downloaded.
    const path = require(join(root, 'node_modules', 'electron'))
    return existsSync(path) ? { path } : { reason: `Electron's binary is missing at ${path}` }
  } catch {
    // Electron's own advice here (delete node_modules/electron) no longer applies: the postinstall fetches it.
    return { reason: `Electron's binary is not installed ("npm run setup:electron" fetches it)` }
  }
}

function serve(reason) {
  console.log(`[emoheal] ${reason}; starting the browser workstation instead (emoheal serve).`)
  console.log('[emoheal] Open the URL below in a browser on this machine.')
  const child = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', ...passThrough], {
    cwd: root,
    stdio: 'inherit'
  })
  child.on('exit', (code) => process.exit(code ?? 0))
}

const electron = electronBinary()
if (!electron.path) {
  serve(electron.reason)
} else {
  const sqliteProblem = buildElectronSqlite(root)
  if (sqliteProblem) serve(`${sqliteProblem}, so Electron could not open studies`)
  else {
    const child = spawn(electron.path, [root, ...passThrough], { cwd: root, stdio: 'inherit' })
    child.on('exit', (code) => process.exit(code ?? 0))
  }
}
