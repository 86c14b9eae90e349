// Benchmark of recording from serial devices: BITalino at 1000 Hz x 6 channels, Shimmer3 GSR+ at 512 Hz and the
// line protocol at 1000 lines/s, each from an emulated device over a socat pty pair into a real study file.
//   node bench/ingest.mjs [--seconds 60] [--only bitalino,shimmer3,lines]
// Per scenario it prints samples lost, the recorder process's CPU % of one core (reading, decoding, timing,
// committing, the live view's batches; no model), and latency from a batch's arrival to its commit and to its
// hand-over to the live view (p50, p99), beside the peer: a bare serialport reader of the same bytes in the same
// run, which decodes and stores nothing. Targets: 0 lost; under 5 % of a core; p99 to commit under 1.2 s.
import { bundleForNode } from './bundle.mjs'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`)
  return index > 0 ? process.argv[index + 1] : fallback
}
const seconds = Number(argument('seconds', '60'))
const scenarios = argument('only', 'bitalino,shimmer3,lines').split(',')

const bundle = join(root, '.cache', 'bench', 'ingest.cjs')
await bundleForNode({
  outfile: bundle,
  stdin: {
    contents: `
      const roles = require('./bench/ingest-roles')
      const [role, scenario, path, seconds, study] = process.argv.slice(2)
      if (role === 'device') roles.runDevice(scenario, path)
      else if (role === 'recorder') roles.runRecorder(scenario, path, Number(seconds), study)
      else if (role === 'bare') roles.runBare(scenario, path, Number(seconds))
      else { const { PtyPair } = require('./test/support/pty-pair'); module.exports = { PtyPair } }`,
    resolveDir: root,
    loader: 'ts'
  }
})

function child(args) {
  const proc = spawn(process.execPath, [bundle, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout })
  const queue = []
  const waiters = []
  lines.on('line', (line) => {
    const value = JSON.parse(line)
    const waiter = waiters.shift()
    if (waiter) waiter(value)
    else queue.push(value)
  })
  return {
    proc,
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve)))
  }
}

const { PtyPair } = (await import('node:module')).createRequire(import.meta.url)(bundle)
const work = mkdtempSync(join(tmpdir(), 'emoheal-bench-ingest-'))
const results = []
for (const scenario of scenarios) {
  // Ours: the workstation's recorder against the emulated device.
  let pair = new PtyPair()
  await pair.start()
  let device = child(['device', scenario, pair.devicePath])
  await device.next()
  const recorder = child(['recorder', scenario, pair.appPath, String(seconds), join(work, `${scenario}.emoheal-study`)])
  const ours = await recorder.next()
  device.proc.kill('SIGTERM')
  const sent = (await device.next()).sent
  await pair.dispose()

  // The peer, in the same run: a bare reader of the same stream.
  pair = new PtyPair()
  await pair.start()
  device = child(['device', scenario, pair.devicePath])
  await device.next()
  const bare = child(['bare', scenario, pair.appPath, String(seconds)])
  const peer = await bare.next()
  device.proc.kill('SIGTERM')
  await device.next()
  await pair.dispose()
  results.push({ scenario, seconds, sent, ours, peer })
  console.error(`[ingest] ${scenario} done`)
}
rmSync(work, { recursive: true, force: true })

const fixed = (value, digits = 1) => (value === null || value === undefined ? '-' : value.toFixed(digits))
console.log(`Ingest over a pty pair, ${seconds} s a scenario; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`)
console.log('| scenario | sent | stored | lost in stored | errors | recorder CPU % | bare reader CPU % | commit p50 / p99 ms | live view p50 / p99 ms | integrity |')
console.log('|---|---|---|---|---|---|---|---|---|---|')
for (const { scenario, sent, ours, peer } of results) {
  const errors = Object.entries(ours.errors).map(([cause, count]) => `${cause} ${count}`).join(', ') || 'none'
  console.log(
    `| ${scenario} | ${sent} | ${ours.stored} | ${ours.missingInStored} | ${errors} | ${fixed(ours.cpuPercent)} | ${fixed(peer.cpuPercent)} | ${fixed(ours.commitP50, 0)} / ${fixed(ours.commitP99, 0)} | ${fixed(ours.displayP50, 0)} / ${fixed(ours.displayP99, 0)} | ${ours.integrity} |`
  )
}
console.log(
  '"sent" counts every sample the device sent, including those after the stop command reached it (discarded by the stop); "lost in stored" counts samples missing between the first and last stored sample by the device\'s own clock.'
)
mkdirSync(join(root, 'test-output'), { recursive: true })
writeFileSync(join(root, 'test-output', 'bench-ingest.json'), JSON.stringify(results, null, 2))
