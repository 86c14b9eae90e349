// Benchmark of the Annotate page's signal viewer on a two-hour session (BVP 64 Hz, ACC 32 Hz x 3, EDA and
// TEMP 4 Hz, HR 1 Hz, IBI) in Debian's Chromium against the real `emoheal serve`.
//   npx electron-vite build && node bench/viewer.mjs [--minutes 120] [--screenshot path.png]
// Prints time to first render, frame times while panning (median and p95) and memory (renderer heap, serve RSS).
// Targets: first render under 1 s, pan p95 under 33 ms.
/* global performance, requestAnimationFrame */
import { bundleForNode } from './bundle.mjs'
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium, selectors } from 'playwright-core'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`)
  return index > 0 ? process.argv[index + 1] : fallback
}
const minutes = Number(argument('minutes', '120'))
const screenshotPath = argument('screenshot', join(root, 'test-output', 'screenshots', 'bench-viewer.png'))
const cli = join(root, 'out', 'main', 'cli.js')
if (!existsSync(cli)) throw new Error(`${cli} is missing: run npx electron-vite build first`)

const bundle = join(root, '.cache', 'bench', 'viewer-study.cjs')
await bundleForNode({
  outfile: bundle,
  entryPoints: [join(root, 'bench', 'viewer.study.ts')]
})
const { buildViewerStudy } = createRequire(import.meta.url)(bundle)

const folder = mkdtempSync(join(tmpdir(), 'emoheal-bench-viewer-'))
const studyPath = join(folder, 'bench.emoheal-study')
let started = performance.now()
const built = buildViewerStudy(studyPath, { minutes, reportMinutes: 10, reportsFromMinute: 30 })
console.log(`study: ${minutes} min session written in ${((performance.now() - started) / 1000).toFixed(1)} s`)

const serve = spawn(process.execPath, [cli, 'serve', '--study', studyPath, '--json'], {
  stdio: ['ignore', 'pipe', 'inherit']
})
const { url } = await new Promise((done, fail) => {
  serve.once('exit', (code) => fail(new Error(`serve exited with ${code}`)))
  createInterface({ input: serve.stdout }).once('line', (line) => done(JSON.parse(line)))
})

selectors.setTestIdAttribute('data-test')
const profile = mkdtempSync(join(tmpdir(), 'emoheal-bench-chromium-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--enable-precise-memory-info'
  ]
})
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

try {
  const page = context.pages()[0] ?? (await context.newPage())
  const errors = []
  page.on('pageerror', (error) => errors.push(error.message))

  // First render: from choosing the session (app already loaded) to the chart's first finished frame.
  const sessionUrl = `${url}#/annotate?session=${built.sessionId}`
  await page.goto(`${url}#/annotate`)
  await page.getByTestId('session-select').waitFor()
  await page.waitForFunction(
    (id) =>
      [...document.querySelectorAll('[data-test="session-select"] option')].some(
        (o) => o.value === String(id)
      ),
    built.sessionId
  )
  const clickedAt = await page.evaluate(() => performance.now())
  await page.getByTestId('session-select').selectOption(String(built.sessionId))
  await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0, null, {
    timeout: 30_000
  })
  const firstRender = await page.evaluate((start) => {
    const entry = performance.getEntriesByName('viewer-first-render').at(-1)
    return { fromOpen: entry.duration, fromSelect: entry.startTime + entry.duration - start }
  }, clickedAt)

  // Cold: a fresh page load straight onto the session (bundle parse, study calls, first chart).
  await page.goto('about:blank')
  await page.goto(sessionUrl)
  await page.waitForFunction(() => performance.getEntriesByName('viewer-first-render').length > 0, null, {
    timeout: 30_000
  })
  const cold = await page.evaluate(() => {
    const entry = performance.getEntriesByName('viewer-first-render').at(-1)
    return entry.startTime + entry.duration
  })

  const overlay = page.getByTestId('viewer-overlay')
  const box = await overlay.boundingBox()
  const y = box.y + 60

  /** Drags the view across `steps` mouse moves and returns the frame intervals seen meanwhile. */
  async function pan(steps, stepPx) {
    await page.evaluate(() => {
      window.__frames = []
      window.__running = true
      let last = performance.now()
      const tick = (now) => {
        window.__frames.push(now - last)
        last = now
        if (window.__running) requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
    })
    await page.mouse.move(box.x + box.width * 0.8, y)
    await page.mouse.down()
    for (let i = 0; i < steps; i++) {
      const x = box.x + box.width * 0.8 - ((i * stepPx) % (box.width * 0.6))
      await page.mouse.move(x, y)
      if ((i * stepPx) % (box.width * 0.6) > box.width * 0.6 - stepPx) {
        await page.mouse.up()
        await page.mouse.move(box.x + box.width * 0.8, y)
        await page.mouse.down()
      }
    }
    await page.mouse.up()
    return page.evaluate(() => {
      window.__running = false
      return window.__frames.slice(1)
    })
  }

  // From the whole session, zoom in with the keyboard (each + is 1.5x) and drag-pan at three spans.
  const results = []
  for (const zoomIns of [3, 3, 3]) {
    for (let i = 0; i < zoomIns; i++) await page.keyboard.press('+')
    await page.waitForTimeout(500)
    const span = await page.getByTestId('view-span').textContent()
    const frames = await pan(150, 6)
    results.push({ span: span.replace(/\s+/g, ' ').trim(), frames })
    await page.waitForTimeout(300)
  }

  const cdp = await context.newCDPSession(page)
  await cdp.send('HeapProfiler.collectGarbage')
  await cdp.send('Performance.enable')
  const { metrics } = await cdp.send('Performance.getMetrics')
  const heapUsed = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value
  const serveRssKb = Number(
    execFileSync('ps', ['-o', 'rss=', '-p', String(serve.pid)])
      .toString()
      .trim()
  )
  await page.screenshot({ path: screenshotPath, fullPage: true })

  console.log(
    `first render after choosing the session: ${firstRender.fromSelect.toFixed(0)} ms (open → first chart frame ${firstRender.fromOpen.toFixed(0)} ms) [target < 1000 ms]`
  )
  console.log(`first render on a cold page load (navigation → first chart frame): ${cold.toFixed(0)} ms`)
  for (const result of results) {
    const frames = result.frames
    console.log(
      `pan [${result.span}]: ${frames.length} frames, median ${percentile(frames, 50).toFixed(1)} ms, p95 ${percentile(frames, 95).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms [target p95 < 33 ms]`
    )
  }
  console.log(
    `memory: renderer JS heap ${(heapUsed / 2 ** 20).toFixed(1)} MiB after GC; emoheal serve RSS ${(serveRssKb / 1024).toFixed(0)} MiB`
  )
  console.log(`screenshot: ${screenshotPath}`)
  if (errors.length) console.log(`page errors: ${errors.join('; ')}`)
} finally {
  await context.close()
  serve.kill('SIGTERM')
  rmSync(profile, { recursive: true, force: true })
  rmSync(folder, { recursive: true, force: true })
}
