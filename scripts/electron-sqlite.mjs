// better-sqlite3 is not N-API: the Node build serves the CLI and serve mode, and Electron needs a second
// build for its own ABI. This makes that second build beside the first (build-electron/), so neither
// runtime ever loads the other's binary. It needs Electron's headers, so it runs only where Electron is.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

export function electronSqlitePath(root) {
  return join(root, 'node_modules', 'better-sqlite3', 'build-electron', 'better_sqlite3.node')
}

/** Builds better-sqlite3 for the installed Electron; returns null on success, else the reason. */
export function buildElectronSqlite(root, log = console.log) {
  const target = electronSqlitePath(root)
  if (existsSync(target)) return null
  let electronVersion
  try {
    electronVersion = require(join(root, 'node_modules', 'electron', 'package.json')).version
  } catch {
    return 'electron is not installed'
  }
  const source = dirname(require.resolve('better-sqlite3/package.json', { paths: [root] }))
  const work = mkdtempSync(join(tmpdir(), 'emoheal-sqlite-electron-'))
  try {
    log(
      `[emoheal setup] building better-sqlite3 for Electron ${electronVersion} (downloads Electron's headers)`
    )
    cpSync(source, work, { recursive: true, filter: (path) => !path.includes(`${source}/build`) })
    const nodeGyp = join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js'
    )
    execFileSync(
      process.execPath,
      [
        nodeGyp,
        'rebuild',
        '--release',
        `--target=${electronVersion}`,
        '--dist-url=https://electronjs.org/headers',
        '--runtime=electron'
      ],
      { cwd: work, stdio: 'inherit' }
    )
    mkdirSync(dirname(target), { recursive: true })
    const staged = `${target}.tmp`
    cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), staged)
    renameSync(staged, target)
    return null
  } catch (error) {
    return `could not build better-sqlite3 for Electron ${electronVersion}: ${String(error.message ?? error).split('\n')[0]}`
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
