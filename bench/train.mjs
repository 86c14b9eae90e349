#!/usr/bin/env node
/**
 * `npm run bench:train`: builds bench/train.ts from source (esbuild, dependencies left external), runs it on every
 * tfjs backend present, then runs the PyTorch peer of the same two models (bench/torch_peer.py) with the same
 * threads, and prints both side by side with the targets. One process at a time, so that nothing shares the cores.
 *
 * Options: --quick (a smoke run of seconds), --json FILE (also write every figure there; default
 * test-output/bench-train.json), --python PATH (the peer's interpreter).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, homedir, loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { bundleForNode } from './bundle.mjs'
import { formatReport } from './report.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' }, python: { type: 'string' } },
  strict: true
})
const quick = values.quick === true
const started = Date.now()

function log(line) {
  process.stderr.write(`[bench] ${line}\n`)
}

/** The venv with pip's torch is the honest peer; Debian's torch 1.13 is the fallback. */
function choosePython() {
  const candidates = [
    values.python,
    process.env.EMOHEAL_BENCH_PYTHON,
    path.join(homedir(), '.cache', 'emoheal-bench-venv', 'bin', 'python'),
    '/usr/bin/python3'
  ].filter(Boolean)
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue
    const probe = spawnSync(candidate, ['-c', 'import torch, sys; print(torch.__version__)'], {
      encoding: 'utf8'
    })
    if (probe.status === 0) return { python: candidate, torch: probe.stdout.trim() }
    log(`${candidate}: no torch (${(probe.stderr || '').trim().split('\n').pop()})`)
  }
  return null
}

async function buildTfjsBench() {
  // Inside node_modules so that the bundle resolves the project's packages (and tfjs-node) as the app does.
  const outfile = path.join(root, 'node_modules', '.cache', 'emoheal-bench', 'train.cjs')
  return bundleForNode({ outfile, entryPoints: [path.join(root, 'bench', 'train.ts')] })
}

function runTfjs(bundle) {
  const args = [bundle, ...(quick ? ['--quick'] : [])]
  const stdout = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' }
  })
  return JSON.parse(stdout.trim().split('\n').pop())
}

function runPeer(python, configs, threads) {
  const stdout = execFileSync(
    python,
    [
      path.join(root, 'bench', 'torch_peer.py'),
      '--threads',
      String(threads),
      '--native-config',
      JSON.stringify(configs['native-rate']),
      ...(quick ? ['--quick'] : [])
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 }
  )
  return JSON.parse(stdout.trim().split('\n').pop())
}

// Other processes on the same cores distort every figure: the load is recorded beside them.
const load = { before: loadavg()[0] }
if (load.before > 0.5 * availableParallelism())
  log(`the machine is busy (load ${load.before.toFixed(2)}): figures will be low`)
const bundle = await buildTfjsBench()
log(`built ${path.relative(root, bundle)}`)
const tfjs = runTfjs(bundle)
load.afterTfjs = loadavg()[0]
const peers = []
const interpreter = choosePython()
if (!interpreter) {
  log('no Python with torch found: the peer columns stay empty')
} else {
  const fallback = interpreter.python === '/usr/bin/python3'
  log(
    `peer: ${interpreter.python}, torch ${interpreter.torch}${fallback ? " (Debian's fallback, not pip's wheel)" : ''}`
  )
  // Native TensorFlow runs with the machine's cores; wasm is one thread: each gets the peer of its threads.
  const threadCounts = [
    ...new Set([Number(tfjs.threads.TF_NUM_INTRAOP_THREADS) || availableParallelism(), 1])
  ]
  for (const threads of threadCounts)
    peers.push({ ...runPeer(interpreter.python, tfjs.configs, threads), fallback })
}
load.afterPeers = loadavg()[0]
const report = { date: new Date().toISOString(), seconds: (Date.now() - started) / 1000, load, tfjs, peers }
const jsonFile = values.json ?? path.join(root, 'test-output', 'bench-train.json')
mkdirSync(path.dirname(jsonFile), { recursive: true })
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`)
process.stdout.write(formatReport(report))
log(`all figures in ${path.relative(process.cwd(), jsonFile)}; whole run ${report.seconds.toFixed(0)} s`)
