// The postinstall's Electron step (scripts/setup-electron.mjs) in a scratch project: a copy of the
// electron package with Electron's real installer, pointed by ELECTRON_MIRROR at servers on loopback
// that refuse, stall or serve a stand-in Electron. Whatever happens, it exits 0 within its time limit,
// says what happened in one line, and leaves node_modules/electron either untouched or complete.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zipSync } from 'fflate'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'

const require = createRequire(__filename)
const repoRoot = join(__dirname, '..', '..')
const version = (require(join(repoRoot, 'node_modules', 'electron', 'package.json')) as { version: string })
  .version
const zipName = `electron-v${version}-${process.platform}-${process.arch}.zip`
const scratch = mkdtempSync(join(tmpdir(), 'emoheal-setup-electron-'))
const project = join(scratch, 'project')
const electronFolder = join(project, 'node_modules', 'electron')

/** A project holding only what the step uses: its script, the electron package and the installer's deps. */
function freshProject(): void {
  rmSync(project, { recursive: true, force: true })
  mkdirSync(join(project, 'node_modules', '@electron'), { recursive: true })
  cpSync(join(repoRoot, 'scripts'), join(project, 'scripts'), { recursive: true })
  mkdirSync(electronFolder)
  for (const name of ['package.json', 'install.js', 'checksums.json', 'index.js']) {
    cpSync(join(repoRoot, 'node_modules', 'electron', name), join(electronFolder, name))
  }
  // Symlinks resolve to the real folders, so @electron/get's own dependencies are found from there.
  symlinkSync(
    join(repoRoot, 'node_modules', '@electron', 'get'),
    join(project, 'node_modules', '@electron', 'get')
  )
  symlinkSync(join(repoRoot, 'node_modules', 'extract-zip'), join(project, 'node_modules', 'extract-zip'))
}

/** The environment of a user with no Electron settings, plus the given ones. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(electron_|npm_config_electron|npm_package_config_electron|emoheal_)/i.test(key)) env[key] = value
  }
  return { ...env, electron_config_cache: join(scratch, 'cache'), ...extra }
}

interface StepResult {
  code: number | null
  lines: string[]
  seconds: number
}

function runStep(extra: Record<string, string>, args: string[] = []): Promise<StepResult> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(project, 'scripts', 'setup-electron.mjs'), ...args],
      { cwd: project, env: environment(extra), timeout: 60_000 },
      (_error, stdout) => {
        const lines = stdout.split('\n').filter((line) => line.trim())
        resolve({ code: child.exitCode, lines, seconds: (Date.now() - started) / 1000 })
      }
    )
  })
}

/** Nothing half-done: no dist/, no path.txt, no temporary folder, so require('electron') still throws. */
function expectUntouched(): void {
  expect(existsSync(join(electronFolder, 'dist'))).toBe(false)
  expect(existsSync(join(electronFolder, 'path.txt'))).toBe(false)
  expect(readdirSync(electronFolder).filter((name) => name.startsWith('.emoheal-tmp-'))).toEqual([])
}

const servers: Server[] = []
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

beforeEach(freshProject)
afterAll(() => {
  for (const server of servers) {
    server.closeAllConnections()
    server.close()
  }
  rmSync(scratch, { recursive: true, force: true })
})

describe.skipIf(process.platform !== 'linux')('postinstall: Electron step', () => {
  it('says in one line that the download host is unreachable, exits 0 at once and changes nothing', async () => {
    // A port that was just listening and is now closed: connections to it are refused.
    const server = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise((resolve) => server.close(resolve))
    const result = await runStep({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/` })
    expect(result.code).toBe(0)
    expect(result.seconds).toBeLessThan(20)
    expect(result.lines).toHaveLength(2)
    expect(result.lines[0]).toContain(`Electron ${version}: fetching its binary`)
    expect(result.lines[1]).toMatch(
      /no Electron binary \(Electron's installer: RequestError: connect ECONNREFUSED/
    )
    expect(result.lines[1]).toContain('npm start will open the browser workstation')
    expectUntouched()
  })

  it('gives up at EMOHEAL_ELECTRON_TIMEOUT on a download that stalls, and removes the partial file', async () => {
    // Headers and the first 64 KB of a "100 MB" zip, then silence.
    const stalling = await serve((request, response) => {
      if (request.url?.endsWith('.zip')) {
        response.writeHead(200, { 'content-length': String(100 << 20) })
        response.write(Buffer.alloc(64 << 10))
      }
    })
    const result = await runStep({ ELECTRON_MIRROR: stalling, EMOHEAL_ELECTRON_TIMEOUT: '2' })
    expect(result.code).toBe(0)
    expect(result.seconds).toBeLessThan(20)
    expect(result.lines[1]).toContain('timed out after 2 s (EMOHEAL_ELECTRON_TIMEOUT)')
    expectUntouched()
  })

  it('installs the binary from a mirror, after which require("electron") gives its path', async () => {
    // A stand-in Electron; the mirror publishes its checksum the way Electron's releases do.
    const zip = Buffer.from(
      zipSync({
        electron: new TextEncoder().encode('#!/bin/sh\n'),
        version: new TextEncoder().encode(`v${version}`)
      })
    )
    const shasums = `${createHash('sha256').update(zip).digest('hex')} *${zipName}\n`
    const mirror = await serve((request, response) => {
      if (request.url === `/v${version}/${zipName}`) response.end(zip)
      else if (request.url === `/v${version}/SHASUMS256.txt`) response.end(shasums)
      else response.writeHead(404).end()
    })
    const result = await runStep({ ELECTRON_MIRROR: mirror, electron_use_remote_checksums: '1' })
    expect(result.code).toBe(0)
    expect(result.lines.at(-1)).toContain(`Electron ${version} is ready`)
    const binary = require(join(electronFolder, 'index.js')) as string
    expect(binary).toBe(join(electronFolder, 'dist', 'electron'))
    expect(existsSync(binary)).toBe(true)
    expect(readdirSync(electronFolder).filter((name) => name.startsWith('.emoheal-tmp-'))).toEqual([])

    const again = await runStep({ ELECTRON_MIRROR: 'http://127.0.0.1:1/' })
    expect(again.lines).toEqual([
      expect.stringContaining(`Electron ${version} is already installed; nothing to do`)
    ])
  })

  it('refuses a carried-in zip whose checksum is not Electron’s', async () => {
    const zip = join(scratch, zipName)
    writeFileSync(zip, Buffer.from(zipSync({ electron: new Uint8Array(1) })))
    const result = await runStep({ EMOHEAL_ELECTRON_ZIP: zip })
    expect(result.code).toBe(0)
    expect(result.lines[1]).toContain(`is not ${zipName} (its sha256 differs)`)
    expectUntouched()
  })

  it('skips with one line under EMOHEAL_SKIP_ELECTRON=1 or ELECTRON_SKIP_BINARY_DOWNLOAD=1', async () => {
    for (const name of ['EMOHEAL_SKIP_ELECTRON', 'ELECTRON_SKIP_BINARY_DOWNLOAD']) {
      const result = await runStep({ [name]: '1' })
      expect(result.code).toBe(0)
      expect(result.lines).toEqual([expect.stringMatching(new RegExp(`Electron: skipped \\(${name}`))])
    }
    expectUntouched()
  })
})
