import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core'

// The app marks elements for tests with data-test.
selectors.setTestIdAttribute('data-test')

export const repoRoot = resolve(__dirname, '..', '..')
export const cliPath = join(repoRoot, 'out', 'main', 'cli.js')
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const screenshotDir = join(repoRoot, 'test-output', 'screenshots')

/** Why browser tests cannot run here, or null when they can (the build and Chromium are present). */
export function browserUnavailableReason(): string | null {
  if (!existsSync(cliPath)) return `${cliPath} is missing: run "npm run build" first`
  if (!existsSync(chromiumPath)) return `${chromiumPath} is missing: install Debian's chromium`
  return null
}

export interface ServeProcess {
  url: string
  origin: string
  token: string
  process: ChildProcess
  stop(): Promise<void>
}

/** Starts the real `emoheal serve` on a free loopback port and waits for its URL. */
export async function startServe(studyPath: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--study', studyPath, '--json', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EMOHEAL_BACKEND: process.env.EMOHEAL_BACKEND ?? 'wasm' }
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: child.stdout! })
  const announce = await new Promise<{ url: string }>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s: ${stderr}`)), 30_000)
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolvePromise(JSON.parse(line) as { url: string })
    })
  })
  const url = new URL(announce.url)
  return {
    url: announce.url,
    origin: url.origin,
    token: url.searchParams.get('token') ?? '',
    process: child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGTERM')
      })
  }
}

export interface BrowserSession {
  context: BrowserContext
  page: Page
  errors: string[]
  close(): Promise<void>
}

/** Debian's Chromium, headless, with a fresh profile and no background traffic. */
export async function openBrowser(): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'emoheal-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic'
    ]
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true })
  const path = join(screenshotDir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Runs the built `emoheal` CLI and returns its stdout; a non-zero exit throws with its stderr. */
export function runCli(...args: string[]): string {
  return execFileSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' })
}

/** A synthetic K-EmoCon copy written by `emoheal synth` into `folder`, returning its path. */
export function writeSyntheticKemocon(
  folder: string,
  options: { participants: number; minutes: number; seed: number }
): string {
  runCli(
    'synth',
    '--out',
    folder,
    '--participants',
    String(options.participants),
    '--minutes',
    String(options.minutes),
    '--seed',
    String(options.seed),
    '--json'
  )
  return folder
}
