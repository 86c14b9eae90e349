#!/usr/bin/env node
// Electron's binary for `npm start`. Runs as the first step of the project's postinstall and as
// `npm run setup:electron`. Electron's own install script is denied in allowScripts because, where its
// download host is unreachable (air-gapped labs, hospital proxies), it fails the whole `npm ci`; this
// never fails the install: where no route works it says so in one line, and `npm start` opens the
// browser workstation instead.
//
// Routes, in order:
//   1. $EMOHEAL_ELECTRON_ZIP: an electron-v<version>-<platform>-<arch>.zip carried in by hand, checked
//      against the checksums that ship in the electron package.
//   2. Electron's own install.js, in a temporary folder and with a time limit. It downloads through
//      @electron/get, so ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR, electron_config_cache and
//      ELECTRON_GET_USE_PROXY=1 (with HTTPS_PROXY) work as Electron documents, and a zip already in
//      @electron/get's cache (~/.cache/electron) is used without going online.
// Either way the binary is unpacked into a temporary folder inside node_modules/electron and renamed
// into place, so an interrupted or failed run leaves Electron as it found it.
// Options: --force (redo even when the binary is installed).
// Environment: EMOHEAL_SKIP_ELECTRON=1 (or ELECTRON_SKIP_BINARY_DOWNLOAD=1) skips it;
// EMOHEAL_ELECTRON_TIMEOUT (seconds, default 300); EMOHEAL_ELECTRON_ZIP.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeLeftovers, replaceWith, temporarySibling } from './native/files.mjs'

const projectRoot = dirname(dirname(fileURLToPath(import.meta.url)))
const electronFolder = join(projectRoot, 'node_modules', 'electron')
const force = process.argv.includes('--force')
const started = Date.now()
const advice =
  'npm start will open the browser workstation; to get Electron, set ELECTRON_MIRROR (or HTTPS_PROXY with ' +
  'ELECTRON_GET_USE_PROXY=1) or EMOHEAL_ELECTRON_ZIP and run "npm run setup:electron"'

function progress(line) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`[emoheal setup ${seconds.padStart(5)}s] ${line}`)
}

function oneLine(error) {
  return String(error?.message ?? error).split('\n')[0]
}

// The same names as Electron's install.js, which honours npm's --platform and --arch.
const platform = process.env.npm_config_platform || process.platform
const arch = process.env.npm_config_arch || process.arch
const executable =
  {
    darwin: 'Electron.app/Contents/MacOS/Electron',
    mas: 'Electron.app/Contents/MacOS/Electron',
    win32: 'electron.exe'
  }[platform] ?? 'electron'

/** What Electron's index.js needs to hand out the binary's path: dist/version, path.txt and the binary. */
function installedVersion(folder) {
  try {
    const version = readFileSync(join(folder, 'dist', 'version'), 'utf8')
      .trim()
      .replace(/^v/, '')
    const path = readFileSync(join(folder, 'path.txt'), 'utf8')
    return existsSync(join(folder, 'dist', path)) ? version : undefined
  } catch {
    return undefined
  }
}

async function sha256(file) {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk)
  return hash.digest('hex')
}

/** Route 1: unpack a zip carried in, once its checksum matches the one Electron publishes for it. */
async function fromZip(zip, version, staging) {
  const name = `electron-v${version}-${platform}-${arch}.zip`
  const checksums = JSON.parse(readFileSync(join(electronFolder, 'checksums.json'), 'utf8'))
  if (!checksums[name]) throw new Error(`Electron ${version} publishes no ${name}`)
  if ((await sha256(zip)) !== checksums[name]) throw new Error(`${zip} is not ${name} (its sha256 differs)`)
  // extract-zip is Electron's own dependency; resolve it as its install.js would.
  const extract = createRequire(join(electronFolder, 'install.js'))('extract-zip')
  await extract(zip, { dir: join(staging, 'dist') })
  await writeFile(join(staging, 'path.txt'), executable)
}

/** Route 2: Electron's install.js run on a copy of the package, so that it writes into `staging`. */
async function fromInstaller(staging) {
  for (const name of ['package.json', 'install.js', 'checksums.json']) {
    await cp(join(electronFolder, name), join(staging, name))
  }
  // @electron/get downloads into the system temporary folder first; pointing it into `staging` means a
  // download cut off by the time limit goes away with the rest.
  await mkdir(join(staging, 'tmp'))
  const seconds =
    Number(process.env.EMOHEAL_ELECTRON_TIMEOUT) > 0 ? Number(process.env.EMOHEAL_ELECTRON_TIMEOUT) : 300
  const env = {
    ...process.env,
    TMPDIR: join(staging, 'tmp'),
    TEMP: join(staging, 'tmp'),
    TMP: join(staging, 'tmp')
  }
  // The copy sits inside node_modules/electron, so its require()s find the same @electron/get and extract-zip.
  await new Promise((done, fail) => {
    execFile(
      process.execPath,
      [join(staging, 'install.js')],
      { cwd: staging, env, timeout: seconds * 1000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, _stdout, stderr) => {
        if (!error) return done()
        if (error.killed) return fail(new Error(`timed out after ${seconds} s (EMOHEAL_ELECTRON_TIMEOUT)`))
        // install.js prints the error's stack: its first line says what went wrong (RequestError: ...).
        fail(new Error(stderr.split('\n').find((line) => line.trim()) ?? oneLine(error)))
      }
    )
  })
}

async function main() {
  if (process.env.EMOHEAL_SKIP_ELECTRON === '1')
    return progress('Electron: skipped (EMOHEAL_SKIP_ELECTRON=1)')
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD)
    return progress('Electron: skipped (ELECTRON_SKIP_BINARY_DOWNLOAD is set)')
  if (!existsSync(join(electronFolder, 'package.json')))
    return progress('Electron: not installed (dev dependencies omitted); npm start will serve to a browser')
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH)
    return progress(`Electron: using ELECTRON_OVERRIDE_DIST_PATH=${process.env.ELECTRON_OVERRIDE_DIST_PATH}`)
  const { version } = JSON.parse(readFileSync(join(electronFolder, 'package.json'), 'utf8'))
  if (!force && installedVersion(electronFolder) === version)
    return progress(`Electron ${version} is already installed; nothing to do (--force redoes it)`)

  await removeLeftovers(electronFolder)
  const staging = temporarySibling(join(electronFolder, 'dist'), 'install')
  await mkdir(staging)
  const zip = process.env.EMOHEAL_ELECTRON_ZIP
  const route = zip ? `EMOHEAL_ELECTRON_ZIP=${zip}` : "Electron's installer"
  try {
    progress(`Electron ${version}: fetching its binary for ${platform}-${arch} (${route})`)
    if (zip) await fromZip(resolve(zip), version, staging)
    else await fromInstaller(staging)
    if (installedVersion(staging) !== version)
      throw new Error(`finished without Electron ${version} in dist/`)
    // The binary first, then path.txt: Electron's index.js only believes in a binary that path.txt names.
    await replaceWith(join(staging, 'dist'), join(electronFolder, 'dist'))
    await rename(join(staging, 'path.txt'), join(electronFolder, 'path.txt'))
    progress(`Electron ${version} is ready: npm start opens the desktop window`)
  } catch (error) {
    progress(`no Electron binary (${route}: ${oneLine(error)}); ${advice}`)
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

main()
  .catch((error) => progress(`Electron setup failed unexpectedly (${oneLine(error)}); ${advice}`))
  .finally(() => {
    process.exitCode = 0
  })
